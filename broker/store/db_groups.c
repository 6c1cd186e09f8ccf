/* SPDX-License-Identifier: Apache-2.0 */
/* The groups and group_members tables. */
#include "db_groups.h"
#include "db_internal.h"
#include "db_users.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_COLS                                                                                 \
    "g.id, g.name, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id), g.created"

static void read_group(sqlite3_stmt *st, struct db_group *g)
{
    g->id = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, g->name, sizeof g->name);
    g->members = sqlite3_column_int(st, 2);
    g->created = sqlite3_column_int64(st, 3);
}

/* read_group for db_collect, which knows rows only as bytes. */
static void read_group_row(sqlite3_stmt *st, void *row)
{
    read_group(st, row);
}

int db_group_get(struct db *db, const char *name, struct db_group *out, struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, "SELECT " GROUP_COLS " FROM groups g WHERE g.name = ?", err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, name);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_group(st, out);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "no group \"%s\"; create it with: deskpool group add %s", name, name);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a group");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Lists groups matching `where` (?1 bound to id) into a malloc'd array. */
static int list_where(struct db *db, const char *where, int64_t id, struct db_group **out,
                      size_t *n, struct dp_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " GROUP_COLS " FROM groups g WHERE %s ORDER BY g.name",
             where);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, id);
    return db_collect(db, st, sizeof **out, read_group_row, (void **)out, n, "listing groups", err);
}

int db_group_list(struct db *db, struct db_group **out, size_t *n, struct dp_err *err)
{
    return list_where(db, "?1 = ?1", 0, out, n, err);
}

int db_user_groups(struct db *db, int64_t user_id, struct db_group **out, size_t *n,
                   struct dp_err *err)
{
    return list_where(db, "g.id IN (SELECT group_id FROM group_members WHERE user_id = ?1)",
                      user_id, out, n, err);
}

int db_group_create(struct db *db, const char *name, struct db_group *out, struct dp_err *err)
{
    int rc = db_check_name("group", name, 0, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    struct db_group old;
    if (db_group_get(db, name, &old, NULL) == DB_OK) {
        dp_err_set(err,
                   "group \"%s\" already exists; add members with: deskpool group member "
                   "%s USER",
                   old.name, old.name);
        db_rollback(db);
        return DB_EEXISTS;
    }
    sqlite3_stmt *st = db_prep(db, "INSERT INTO groups(name, created) VALUES (?, ?)", err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    db_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, db_now(db));
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, "creating a group");
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "group.create", "group", name, NULL, 0, err);
    if (rc == DB_OK)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    if (rc == DB_OK && out)
        rc = db_group_get(db, name, out, err);
    return rc;
}

int db_group_delete(struct db *db, const char *name, struct dp_err *err)
{
    struct db_group g;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_group_get(db, name, &g, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, "DELETE FROM groups WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, g.id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "deleting a group");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "group.delete", "group", g.name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* Adds (add = 1) or removes a membership, with names for the messages and the audit. */
static int member(struct db *db, int64_t group_id, int64_t user_id, int add, struct dp_err *err)
{
    char g[64], u[64];
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    int r = db_first_text(db, "SELECT name FROM groups WHERE id = ?1", group_id, g, sizeof g, err);
    if (r == 1)
        r = db_first_text(db, "SELECT name FROM users WHERE id = ?1", user_id, u, sizeof u, err);
    if (r == 0) {
        dp_err_set(err, "no such group or user (ids %lld, %lld)", (long long)group_id,
                   (long long)user_id);
        r = DB_ENOTFOUND;
    }
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    sqlite3_stmt *st = db_prep(db,
                               add ? "INSERT OR IGNORE INTO group_members(group_id, user_id)"
                                     " VALUES (?, ?)"
                                   : "DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    sqlite3_bind_int64(st, 1, group_id);
    sqlite3_bind_int64(st, 2, user_id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err, "changing a group's members");
    } else if (sqlite3_changes(db->h) == 0) {
        if (add)
            dp_err_set(err, "user \"%s\" is already in group \"%s\"", u, g);
        else
            dp_err_set(err, "user \"%s\" is not in group \"%s\"", u, g);
        rc = add ? DB_EEXISTS : DB_ENOTFOUND;
    }
    sqlite3_finalize(st);
    const char *kv[] = {"user", u};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, add ? "group.member_add" : "group.member_remove", "group",
                                      g, kv, 1, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_group_add_member(struct db *db, int64_t group_id, int64_t user_id, struct dp_err *err)
{
    return member(db, group_id, user_id, 1, err);
}

int db_group_remove_member(struct db *db, int64_t group_id, int64_t user_id, struct dp_err *err)
{
    return member(db, group_id, user_id, 0, err);
}

int db_group_members(struct db *db, int64_t group_id, struct db_user **out, size_t *n,
                     struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db,
                               "SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id"
                               " WHERE m.group_id = ? ORDER BY u.name",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, group_id);
    size_t cap = 0;
    int rc = DB_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow((void **)out, &cap, *n, sizeof **out, err)) != DB_OK)
            break;
        if ((rc = db_user_get_by_id(db, sqlite3_column_int64(st, 0), &(*out)[*n], err)) != DB_OK)
            break;
        (*n)++;
    }
    if (rc == DB_OK && s != SQLITE_DONE && s != SQLITE_ROW)
        rc = db_fail(db, err, "listing a group's members");
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
