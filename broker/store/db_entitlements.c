/* SPDX-License-Identifier: Apache-2.0 */
/* The entitlements table and the "which pools may this user use" queries. */
#include "db_entitlements.h"
#include "db_internal.h"
#include "db_pools.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pools a user is entitled to, directly or through a group: the one definition both
 * queries below use, so they can never disagree. */
#define ENTITLED_POOL_IDS                                                                          \
    "SELECT pool_id FROM entitlements WHERE user_id = ?1"                                          \
    " UNION SELECT e.pool_id FROM entitlements e JOIN group_members m"                             \
    " ON m.group_id = e.group_id WHERE m.user_id = ?1"

static int entitle(struct db *db, int64_t pool_id, int64_t user_id, int64_t group_id,
                   struct dp_err *err)
{
    char pool[64], who[64];
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    int r =
        db_first_text(db, "SELECT name FROM pools WHERE id = ?1", pool_id, pool, sizeof pool, err);
    if (r == 1)
        r = db_first_text(db,
                          user_id ? "SELECT name FROM users WHERE id = ?1"
                                  : "SELECT name FROM groups WHERE id = ?1",
                          user_id ? user_id : group_id, who, sizeof who, err);
    if (r == 0) {
        dp_err_set(err, "no such pool or %s; see deskpool pool list and deskpool %s list",
                   user_id ? "user" : "group", user_id ? "user" : "group");
        r = DB_ENOTFOUND;
    }
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    sqlite3_stmt *st = db_prep(db,
                               "INSERT OR IGNORE INTO entitlements(pool_id, user_id, group_id,"
                               " created) VALUES (?, ?, ?, ?)",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    sqlite3_bind_int64(st, 1, pool_id);
    db_bind_id(st, 2, user_id);
    db_bind_id(st, 3, group_id);
    sqlite3_bind_int64(st, 4, db_now(db));
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err, "granting a pool");
    } else if (sqlite3_changes(db->h) == 0) {
        dp_err_set(err, "%s \"%s\" is already entitled to pool \"%s\"", user_id ? "user" : "group",
                   who, pool);
        rc = DB_EEXISTS;
    }
    sqlite3_finalize(st);
    const char *kv[] = {user_id ? "user" : "group", who};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "pool.entitle", "pool", pool, kv, 1, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_entitle_user(struct db *db, int64_t pool_id, int64_t user_id, struct dp_err *err)
{
    return entitle(db, pool_id, user_id, 0, err);
}

int db_entitle_group(struct db *db, int64_t pool_id, int64_t group_id, struct dp_err *err)
{
    return entitle(db, pool_id, 0, group_id, err);
}

#define ENT_SELECT                                                                                 \
    "SELECT e.id, e.pool_id, p.name, coalesce(e.user_id, 0), coalesce(u.name, ''),"                \
    " coalesce(e.group_id, 0), coalesce(g.name, ''), e.created FROM entitlements e"                \
    " JOIN pools p ON p.id = e.pool_id LEFT JOIN users u ON u.id = e.user_id"                      \
    " LEFT JOIN groups g ON g.id = e.group_id"

int db_entitlement_list(struct db *db, int64_t pool_id, struct db_entitlement **out, size_t *n,
                        struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db,
                               ENT_SELECT " WHERE ?1 = 0 OR e.pool_id = ?1"
                                          " ORDER BY p.name, u.name, g.name",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, pool_id);
    size_t cap = 0;
    int rc = DB_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow((void **)out, &cap, *n, sizeof **out, err)) != DB_OK)
            break;
        struct db_entitlement *e = &(*out)[(*n)++];
        e->id = sqlite3_column_int64(st, 0);
        e->pool_id = sqlite3_column_int64(st, 1);
        db_col_text(st, 2, e->pool, sizeof e->pool);
        e->user_id = sqlite3_column_int64(st, 3);
        db_col_text(st, 4, e->user, sizeof e->user);
        e->group_id = sqlite3_column_int64(st, 5);
        db_col_text(st, 6, e->group, sizeof e->group);
        e->created = sqlite3_column_int64(st, 7);
    }
    if (rc == DB_OK && s != SQLITE_DONE)
        rc = db_fail(db, err, "listing entitlements");
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int db_entitlement_delete(struct db *db, int64_t id, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    sqlite3_stmt *st = db_prep(db, ENT_SELECT " WHERE e.id = ?", err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    char pool[64] = "", user[64] = "", group[64] = "";
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        db_col_text(st, 2, pool, sizeof pool);
        db_col_text(st, 4, user, sizeof user);
        db_col_text(st, 6, group, sizeof group);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "no entitlement with id %lld; see: deskpool entitle --list", (long long)id);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading an entitlement");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK && !(st = db_prep(db, "DELETE FROM entitlements WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "revoking an entitlement");
        sqlite3_finalize(st);
    }
    const char *kv[] = {"user", user[0] ? user : NULL, "group", group[0] ? group : NULL};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "pool.revoke", "pool", pool, kv, 2, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_user_entitled_pools(struct db *db, int64_t user_id, struct db_pool **out, size_t *n,
                           struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st =
        db_prep(db, "SELECT id FROM pools WHERE id IN (" ENTITLED_POOL_IDS ") ORDER BY name", err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, user_id);
    size_t cap = 0;
    int rc = DB_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow((void **)out, &cap, *n, sizeof **out, err)) != DB_OK)
            break;
        if ((rc = db_pool_get_by_id(db, sqlite3_column_int64(st, 0), &(*out)[*n], err)) != DB_OK)
            break;
        (*n)++;
    }
    if (rc == DB_OK && s != SQLITE_DONE && s != SQLITE_ROW)
        rc = db_fail(db, err, "listing a user's pools");
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int db_user_entitled(struct db *db, int64_t user_id, int64_t pool_id, struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, "SELECT ?2 IN (" ENTITLED_POOL_IDS ")", err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, pool_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0)
                                            : db_fail(db, err, "checking an entitlement");
    sqlite3_finalize(st);
    return rc;
}
