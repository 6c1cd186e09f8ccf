/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_ENTITLEMENTS_H
#define DESKPOOL_BROKER_DB_ENTITLEMENTS_H

/* Who may have a desktop from which pool: a user directly, or through a group. */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;
struct db_pool;

struct db_entitlement {
    int64_t id;
    int64_t pool_id;
    char pool[64];
    int64_t user_id; /* exactly one of user_id and group_id is set */
    char user[64];
    int64_t group_id;
    char group[64];
    int64_t created;
};

/* Grants pool `pool_id` to a user, or to a group's members. DB_EEXISTS if already granted. */
int db_entitle_user(struct db *db, int64_t pool_id, int64_t user_id, struct dp_err *err);
int db_entitle_group(struct db *db, int64_t pool_id, int64_t group_id, struct dp_err *err);

/* Revokes one entitlement by id. Live sessions are not touched (the caller logs them off if
 * it wants to). */
int db_entitlement_delete(struct db *db, int64_t id, struct dp_err *err);

/* Entitlements of one pool (pool_id != 0) or all, malloc'd (free() it). */
int db_entitlement_list(struct db *db, int64_t pool_id, struct db_entitlement **out, size_t *n,
                        struct dp_err *err);

/* The pools user_id may use, directly or through any of their groups, each once, by name;
 * malloc'd (free() it). */
int db_user_entitled_pools(struct db *db, int64_t user_id, struct db_pool **out, size_t *n,
                           struct dp_err *err);

/* 1 if user_id may use pool_id (directly or through a group), 0 if not, or a DB_E* code. */
int db_user_entitled(struct db *db, int64_t user_id, int64_t pool_id, struct dp_err *err);

#endif
