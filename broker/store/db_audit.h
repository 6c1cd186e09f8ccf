/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_AUDIT_H
#define DESKPOOL_BROKER_DB_AUDIT_H

/*
 * The audit log: who did what to which object, append-only. The store writes events for
 * the changes it makes itself (VM state changes, claims, deletions) in the same
 * transaction as the change; callers add events for what the store cannot see (logins,
 * API calls). Never put a secret in an event.
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

#define DB_AUDIT_DETAIL_MAX 2048

struct db_audit_event {
    int64_t id;
    int64_t ts;                       /* unix seconds */
    char actor[64];                   /* "admin:root", "user:alice", "pool-manager", "system" */
    char action[64];                  /* "vm.state", "pool.create", "user.login_failed", ... */
    char object[128];                 /* "vm:lab-001", "pool:lab", "user:alice" */
    char detail[DB_AUDIT_DETAIL_MAX]; /* a JSON object */
};

/* Appends an event by this connection's actor (db_set_actor). detail is a JSON object of at
 * most DB_AUDIT_DETAIL_MAX - 1 bytes, or NULL for {}; invalid JSON is refused (DB_EINVAL). */
int db_audit_add(struct db *db, const char *action, const char *object, const char *detail,
                 struct dp_err *err);

/* Appends an event whose detail is {"k1": "v1", ...} from n key/value string pairs; the
 * values are escaped here, so they may hold any text. NULL values are skipped. */
int db_audit_add_kv(struct db *db, const char *action, const char *object, const char *const *kv,
                    size_t n, struct dp_err *err);

/*
 * Lists events in ascending id order into a malloc'd array (free() it). after_id > 0: the
 * events after that id (to follow the log), at most `limit`; after_id == 0: the newest
 * `limit` events (the tail). `object` non-NULL keeps only events on that object.
 */
int db_audit_list(struct db *db, int64_t after_id, size_t limit, const char *object,
                  struct db_audit_event **out, size_t *n, struct dp_err *err);

#endif
