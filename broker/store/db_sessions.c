/* SPDX-License-Identifier: Apache-2.0 */
/* The sessions table: start, disconnect, reconnect, end, and the timeout query. */
#include "db_sessions.h"
#include "db_internal.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SES_COLS                                                                                   \
    "s.id, s.user_id, u.name, coalesce(s.vm_id, 0), coalesce(m.name, ''), s.pool_id, p.name,"      \
    " s.state, s.started, s.last_seen, coalesce(s.disconnected_at, 0),"                            \
    " coalesce(s.ended_at, 0), s.bytes_in, s.bytes_out, s.client_addr"

#define SES_FROM                                                                                   \
    " FROM sessions s JOIN users u ON u.id = s.user_id JOIN pools p ON p.id = s.pool_id"           \
    " LEFT JOIN vms m ON m.id = s.vm_id"

static const char *const state_names[] = {"connected", "disconnected", "ended"};

const char *db_session_state_name(enum db_session_state s)
{
    return (unsigned)s < 3 ? state_names[s] : "?";
}

const char *db_timeout_reason_name(enum db_timeout_reason r)
{
    switch (r) {
    case DB_TIMEOUT_DISCONNECTED:
        return "disconnect timeout";
    case DB_TIMEOUT_IDLE:
        return "idle timeout";
    case DB_TIMEOUT_MAX_SESSION:
        return "max session time";
    }
    return "?";
}

static void read_session(sqlite3_stmt *st, struct db_session *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    s->user_id = sqlite3_column_int64(st, 1);
    db_col_text(st, 2, s->user, sizeof s->user);
    s->vm_id = sqlite3_column_int64(st, 3);
    db_col_text(st, 4, s->vm, sizeof s->vm);
    s->pool_id = sqlite3_column_int64(st, 5);
    db_col_text(st, 6, s->pool, sizeof s->pool);
    const char *state = (const char *)sqlite3_column_text(st, 7);
    s->state = DB_SESSION_ENDED;
    for (int i = 0; state && i < 3; i++)
        if (strcmp(state, state_names[i]) == 0)
            s->state = (enum db_session_state)i;
    s->started = sqlite3_column_int64(st, 8);
    s->last_seen = sqlite3_column_int64(st, 9);
    s->disconnected_at = sqlite3_column_int64(st, 10);
    s->ended_at = sqlite3_column_int64(st, 11);
    s->bytes_in = sqlite3_column_int64(st, 12);
    s->bytes_out = sqlite3_column_int64(st, 13);
    db_col_text(st, 14, s->client_addr, sizeof s->client_addr);
}

/* read_session for db_collect, which knows rows only as bytes. */
static void read_session_row(sqlite3_stmt *st, void *row)
{
    read_session(st, row);
}

static int get_one(struct db *db, const char *where, int64_t a, int64_t b, struct db_session *out,
                   struct dp_err *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " SES_COLS SES_FROM " WHERE %s", where);
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW)
        read_session(st, out);
    else if (s == SQLITE_DONE)
        rc = DB_ENOTFOUND;
    else
        rc = db_fail(db, err, "reading a session");
    sqlite3_finalize(st);
    return rc;
}

int db_session_get(struct db *db, int64_t id, struct db_session *out, struct dp_err *err)
{
    int rc = get_one(db, "s.id = ?1", id, 0, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "no session %lld; list them with: deskpool session list", (long long)id);
    return rc;
}

int db_session_live(struct db *db, int64_t user_id, int64_t pool_id, struct db_session *out,
                    struct dp_err *err)
{
    int rc = get_one(db, "s.user_id = ?1 AND s.pool_id = ?2 AND s.state <> 'ended'", user_id,
                     pool_id, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "the user has no live session in this pool");
    return rc;
}

int db_session_on_vm(struct db *db, int64_t vm_id, struct db_session *out, struct dp_err *err)
{
    int rc = get_one(db, "s.vm_id = ?1 AND s.state <> 'ended'", vm_id, 0, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "the VM has no live session");
    return rc;
}

int db_session_start(struct db *db, int64_t user_id, int64_t vm_id, int64_t pool_id,
                     const char *client_addr, struct db_session *out, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    struct db_session other;
    if (get_one(db, "s.vm_id = ?1 AND s.state <> 'ended'", vm_id, 0, &other, NULL) == DB_OK ||
        get_one(db, "s.user_id = ?1 AND s.pool_id = ?2 AND s.state <> 'ended'", user_id, pool_id,
                &other, NULL) == DB_OK) {
        dp_err_set(err,
                   "session %lld of \"%s\" on VM \"%s\" (pool \"%s\") is still %s; "
                   "reconnect or end it first (deskpool session logoff %lld)",
                   (long long)other.id, other.user, other.vm, other.pool,
                   db_session_state_name(other.state), (long long)other.id);
        db_rollback(db);
        return DB_ECONFLICT;
    }
    sqlite3_stmt *st = db_prep(db,
                               "INSERT INTO sessions(user_id, vm_id, pool_id, state, started,"
                               " last_seen, client_addr) VALUES (?, ?, ?, 'connected', ?, ?, ?)",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    int64_t now = db_now(db);
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, vm_id);
    sqlite3_bind_int64(st, 3, pool_id);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now);
    db_bind_text(st, 6, client_addr ? client_addr : "");
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, "starting a session");
    int64_t id = sqlite3_last_insert_rowid(db->h);
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_session_get(db, id, out, err);
    if (rc == DB_OK) {
        const char *kv[] = {"user", out->user, "vm", out->vm, "client", out->client_addr};
        char obj[32];
        snprintf(obj, sizeof obj, "%lld", (long long)id);
        rc = db_audit_add_kv_internal(db, "session.start", "session", obj, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* A guarded UPDATE of one session (?1 = now, ?2 = id, ?3 = text if the SQL uses it),
 * audited as `action` with the text as its reason. */
static int change(struct db *db, int64_t id, const char *sql, const char *text, const char *action,
                  const char *want, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    struct db_session s;
    rc = db_session_get(db, id, &s, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, sql, err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, db_now(db));
        sqlite3_bind_int64(st, 2, id);
        db_bind_text(st, 3, text);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = db_fail(db, err, "updating a session");
        } else if (sqlite3_changes(db->h) != 1) {
            dp_err_set(err, "session %lld of \"%s\" is %s, not %s; nothing changed", (long long)id,
                       s.user, db_session_state_name(s.state), want);
            rc = DB_ECONFLICT;
        }
    }
    sqlite3_finalize(st);
    if (rc == DB_OK && action) {
        char obj[32];
        snprintf(obj, sizeof obj, "%lld", (long long)id);
        const char *kv[] = {"user", s.user, "vm", s.vm, "reason", text};
        rc = db_audit_add_kv_internal(db, action, "session", obj, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_session_disconnect(struct db *db, int64_t id, struct dp_err *err)
{
    return change(db, id,
                  "UPDATE sessions SET state = 'disconnected', disconnected_at = ?1,"
                  " last_seen = ?1 WHERE id = ?2 AND state = 'connected'",
                  NULL, "session.disconnect", "connected", err);
}

int db_session_reconnect(struct db *db, int64_t id, const char *client_addr, struct dp_err *err)
{
    return change(db, id,
                  "UPDATE sessions SET state = 'connected', disconnected_at = NULL,"
                  " last_seen = ?1, client_addr = coalesce(?3, client_addr)"
                  " WHERE id = ?2 AND state = 'disconnected'",
                  client_addr, "session.reconnect", "disconnected", err);
}

int db_session_end(struct db *db, int64_t id, const char *reason, struct dp_err *err)
{
    return change(db, id,
                  "UPDATE sessions SET state = 'ended', ended_at = ?1,"
                  " disconnected_at = coalesce(disconnected_at, ?1)"
                  " WHERE id = ?2 AND state <> 'ended'",
                  reason, "session.end", "live", err);
}

int db_session_touch(struct db *db, int64_t id, int64_t bytes_in, int64_t bytes_out,
                     struct dp_err *err)
{
    /* Frequent: no audit event, no read-back. */
    sqlite3_stmt *st = db_prep(db,
                               "UPDATE sessions SET last_seen = ?1,"
                               " bytes_in = max(bytes_in, ?3), bytes_out = max(bytes_out, ?4)"
                               " WHERE id = ?2 AND state <> 'ended'",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, db_now(db));
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, bytes_in);
    sqlite3_bind_int64(st, 4, bytes_out);
    int rc = DB_OK;
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err, "recording session activity");
    } else if (sqlite3_changes(db->h) != 1) {
        dp_err_set(err, "session %lld is not live; nothing recorded", (long long)id);
        rc = DB_ECONFLICT;
    }
    sqlite3_finalize(st);
    return rc;
}

int db_session_list(struct db *db, int64_t pool_id, int live_only, struct db_session **out,
                    size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db,
                               "SELECT " SES_COLS SES_FROM " WHERE (?1 = 0 OR s.pool_id = ?1)"
                               " AND (?2 = 0 OR s.state <> 'ended')"
                               " ORDER BY s.started DESC, s.id DESC",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, pool_id);
    sqlite3_bind_int(st, 2, live_only ? 1 : 0);
    return db_collect(db, st, sizeof **out, read_session_row, (void **)out, n, "listing sessions",
                      err);
}

int db_sessions_timed_out(struct db *db, int64_t now, struct db_session_timeout **out, size_t *n,
                          struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    /* 0 in a pool's timeout means "never". The reason order is the order below. */
    sqlite3_stmt *st =
        db_prep(db,
                "SELECT * FROM (SELECT " SES_COLS ", CASE"
                " WHEN s.state = 'disconnected' AND p.disconnect_timeout_s > 0"
                "  AND s.disconnected_at + p.disconnect_timeout_s <= ?1 THEN 0"
                " WHEN p.max_session_s > 0 AND s.started + p.max_session_s <= ?1 THEN 2"
                " WHEN s.state = 'connected' AND p.idle_timeout_s > 0"
                "  AND s.last_seen + p.idle_timeout_s <= ?1 THEN 1"
                " ELSE -1 END AS why" SES_FROM " WHERE s.state <> 'ended') WHERE why >= 0"
                " ORDER BY 1",
                err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, now);
    size_t cap = 0;
    int rc = DB_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow((void **)out, &cap, *n, sizeof **out, err)) != DB_OK)
            break;
        struct db_session_timeout *t = &(*out)[(*n)++];
        read_session(st, &t->session);
        t->reason = (enum db_timeout_reason)sqlite3_column_int(st, 15);
    }
    if (rc == DB_OK && s != SQLITE_DONE)
        rc = db_fail(db, err, "finding timed-out sessions");
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
