/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_GROUPS_H
#define DESKPOOL_BROKER_DB_GROUPS_H

/* Groups of users, so a pool can be granted to many at once (db_entitlements.h). Names are
 * case-insensitive. */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;
struct db_user;

struct db_group {
    int64_t id;
    char name[64];
    int members;
    int64_t created;
};

/* Creates an empty group. DB_EEXISTS if the name is taken. */
int db_group_create(struct db *db, const char *name, struct db_group *out, struct dp_err *err);
int db_group_get(struct db *db, const char *name, struct db_group *out, struct dp_err *err);
/* All groups by name, malloc'd (free() it). */
int db_group_list(struct db *db, struct db_group **out, size_t *n, struct dp_err *err);
/* Deletes a group, its memberships and the entitlements granted to it. */
int db_group_delete(struct db *db, const char *name, struct dp_err *err);

/* Adds a user to a group; adding a member again is DB_EEXISTS. */
int db_group_add_member(struct db *db, int64_t group_id, int64_t user_id, struct dp_err *err);
/* Removes a user from a group; DB_ENOTFOUND if they were not in it. */
int db_group_remove_member(struct db *db, int64_t group_id, int64_t user_id, struct dp_err *err);
/* The members of a group by name, malloc'd (free() it). */
int db_group_members(struct db *db, int64_t group_id, struct db_user **out, size_t *n,
                     struct dp_err *err);
/* The groups a user is in by name, malloc'd (free() it). */
int db_user_groups(struct db *db, int64_t user_id, struct db_group **out, size_t *n,
                   struct dp_err *err);

#endif
