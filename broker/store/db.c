/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the store, migrations, transactions and the statement helpers the DAOs share. */
#include "db_internal.h"
#include "migrations.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a writer waits for another connection's write lock before giving up. The pool
 * manager's transactions are short; 5 s only passes when something is stuck. */
#define DB_BUSY_TIMEOUT_MS 5000

int db_schema_latest(void)
{
    return migrations_count;
}

int db_fail(struct db *db, struct dp_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(db->h);
    dp_err_set(err, "store %s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        return DB_ECONFLICT;
    return DB_EIO;
}

sqlite3_stmt *db_prep(struct db *db, const char *sql, struct dp_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(db, err, "preparing a query");
        return NULL;
    }
    return st;
}

int db_exec(struct db *db, const char *sql, struct dp_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_extended_errcode(db->h);
        dp_err_set(err, "store %s: %s", db->path, msg ? msg : sqlite3_errmsg(db->h));
        sqlite3_free(msg);
        return (code & 0xff) == SQLITE_CONSTRAINT ? DB_ECONFLICT : DB_EIO;
    }
    return DB_OK;
}

int db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int db_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    return id ? sqlite3_bind_int64(st, i, id) : sqlite3_bind_null(st, i);
}

void db_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", s ? (const char *)s : "");
}

int db_grow(void **arr, size_t *cap, size_t n, size_t elem, struct dp_err *err)
{
    if (n < *cap)
        return DB_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elem);
    if (!p) {
        dp_err_set(err, "out of memory listing the store");
        return DB_EIO;
    }
    *arr = p;
    *cap = ncap;
    return DB_OK;
}

int db_collect(struct db *db, sqlite3_stmt *st, size_t elem,
               void (*read_row)(sqlite3_stmt *st, void *row), void **out, size_t *n,
               const char *what, struct dp_err *err)
{
    size_t cap = 0;
    int rc = DB_OK, s;
    *out = NULL;
    *n = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow(out, &cap, *n, elem, err)) != DB_OK)
            break;
        read_row(st, (char *)*out + elem * (*n)++);
    }
    if (rc == DB_OK && s != SQLITE_DONE)
        rc = db_fail(db, err, what);
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int db_first_text(struct db *db, const char *sql, int64_t id, char *out, size_t cap,
                  struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc;
    if (s == SQLITE_ROW) {
        db_col_text(st, 0, out, cap);
        rc = 1;
    } else if (s == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = db_fail(db, err, "looking up what uses an object");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_check_name(const char *kind, const char *name, int allow_at, struct dp_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 63) {
        dp_err_set(err, "%s name \"%s\" must be 1 to 63 characters", kind, name ? name : "");
        return DB_EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum || (i > 0 && (c == '.' || c == '_' || c == '-' || (allow_at && c == '@'))))
            continue;
        dp_err_set(err,
                   "%s name \"%s\": '%c' is not allowed; use letters, digits and "
                   "\"._-\"%s, starting with a letter or digit",
                   kind, name, c, allow_at ? " or '@'" : "");
        return DB_EINVAL;
    }
    return DB_OK;
}

int64_t db_now(struct db *db)
{
    return db->now ? db->now : (int64_t)time(NULL);
}

void db_set_now(struct db *db, int64_t now)
{
    db->now = now;
}

void db_set_actor(struct db *db, const char *actor)
{
    snprintf(db->actor, sizeof db->actor, "%s", actor && *actor ? actor : "system");
}

struct sqlite3 *db_sqlite(struct db *db)
{
    return db->h;
}

int db_schema_version(struct db *db)
{
    sqlite3_stmt *st = db_prep(db, "PRAGMA user_version", NULL);
    int v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int db_begin(struct db *db, struct dp_err *err)
{
    char sql[64];
    if (db->depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT sp%d", db->depth);
    int rc = db_exec(db, sql, err);
    if (rc == DB_OK)
        db->depth++;
    return rc;
}

int db_commit(struct db *db, struct dp_err *err)
{
    char sql[64];
    if (db->depth <= 0) {
        dp_err_set(err, "store %s: commit without a transaction (a deskpool bug)", db->path);
        return DB_EINVAL;
    }
    if (db->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE sp%d", db->depth - 1);
    int rc = db_exec(db, sql, err);
    if (rc != DB_OK) {
        /* A failed COMMIT (SQLITE_BUSY past the timeout) leaves the transaction open;
         * undo it so the connection is usable and the caller sees all-or-nothing. */
        db_rollback(db);
        return rc;
    }
    db->depth--;
    return DB_OK;
}

void db_rollback(struct db *db)
{
    char sql[64];
    if (db->depth <= 0)
        return;
    if (db->depth == 1)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO sp%d; RELEASE sp%d", db->depth - 1, db->depth - 1);
    /* ROLLBACK fails only if sqlite already rolled back (e.g. after SQLITE_FULL). */
    sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    db->depth--;
}

static int db_connect(const char *path, struct db **out, struct dp_err *err)
{
    *out = NULL;
    struct db *db = calloc(1, sizeof *db);
    if (!db) {
        dp_err_set(err, "out of memory opening the store %s", path);
        return DB_EIO;
    }
    snprintf(db->path, sizeof db->path, "%s", path);
    db_set_actor(db, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        dp_err_set(err,
                   "cannot open the store %s: %s; check the state directory exists and is "
                   "writable by deskpoold",
                   path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
        sqlite3_close(db->h);
        free(db);
        return DB_EIO;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
    /* WAL: readers never block the writer (the API keeps answering while the pool manager
     * writes). synchronous=NORMAL is durable against process crashes, which is what the
     * "written before the action" rule needs; a power cut may lose the last commits but
     * never corrupts. foreign_keys is per connection and off by default. */
    int rc = db_exec(db,
                     "PRAGMA journal_mode = WAL;"
                     "PRAGMA synchronous = NORMAL;"
                     "PRAGMA foreign_keys = ON;",
                     err);
    if (rc == DB_OK) {
        sqlite3_stmt *st = db_prep(db, "PRAGMA journal_mode", err);
        if (!st || sqlite3_step(st) != SQLITE_ROW ||
            strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
            dp_err_set(err,
                       "store %s: cannot switch to WAL mode; put the state directory on a "
                       "local file system",
                       path);
            rc = DB_EIO;
        }
        sqlite3_finalize(st);
    }
    if (rc != DB_OK) {
        sqlite3_close(db->h);
        free(db);
        return rc;
    }
    *out = db;
    return DB_OK;
}

/* True if the database has any table: a file at version 0 with tables is not ours. */
static int db_has_tables(struct db *db)
{
    sqlite3_stmt *st =
        db_prep(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1", NULL);
    int any = st && sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return any;
}

int db_migrate(struct db *db, int target, struct dp_err *err)
{
    int have = db_schema_version(db);
    if (have < 0)
        return db_fail(db, err, "reading the schema version");
    if (target > migrations_count || target < 0) {
        dp_err_set(err, "store %s: no schema version %d (this deskpool knows 0..%d)", db->path,
                   target, migrations_count);
        return DB_EINVAL;
    }
    if (have > migrations_count) {
        dp_err_set(err,
                   "store %s has schema version %d, but this deskpool (%s) only knows versions "
                   "up to %d: it was written by a newer deskpool. Run that newer deskpool, or "
                   "restore a backup of the store taken before the upgrade",
                   db->path, have, DESKPOOL_VERSION_STRING, migrations_count);
        return DB_EINVAL;
    }
    if (have == 0 && target > 0 && db_has_tables(db)) {
        dp_err_set(err,
                   "%s has tables but no deskpool schema version: it is not a deskpool store; "
                   "point deskpoold at another state directory or move the file away",
                   db->path);
        return DB_EINVAL;
    }
    for (int v = have; v < target; v++) {
        int rc = db_begin(db, err);
        if (rc != DB_OK)
            return rc;
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        rc = db_exec(db, migrations[v].sql, err);
        if (rc == DB_OK)
            rc = db_exec(db, bump, err);
        if (rc == DB_OK)
            rc = db_commit(db, err);
        else
            db_rollback(db);
        if (rc != DB_OK) {
            dp_err_set(err,
                       "store %s: migration to version %d (%s) failed; the store is left "
                       "at version %d",
                       db->path, v + 1, migrations[v].what, v);
            return rc;
        }
        log_info("store %s: migrated to schema version %d: %s", db->path, v + 1,
                 migrations[v].what);
    }
    return DB_OK;
}

int db_open_unmigrated(const char *path, struct db **out, struct dp_err *err)
{
    return db_connect(path, out, err);
}

int db_open(const char *path, struct db **out, struct dp_err *err)
{
    struct db *db;
    *out = NULL;
    int rc = db_connect(path, &db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_migrate(db, migrations_count, err);
    if (rc != DB_OK) {
        db_close(db);
        return rc;
    }
    *out = db;
    return DB_OK;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    while (db->depth > 0)
        db_rollback(db);
    /* sqlite3_close_v2 would defer on unfinalized statements; every DAO finalizes its
     * own, so a failure here is a leak worth hearing about. */
    if (sqlite3_close(db->h) != SQLITE_OK)
        log_error("store %s: close failed: %s", db->path, sqlite3_errmsg(db->h));
    free(db);
}
