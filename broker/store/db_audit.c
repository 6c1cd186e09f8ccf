/* SPDX-License-Identifier: Apache-2.0 */
/* The audit_events table. */
#include "db_audit.h"
#include "db_internal.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_audit_write(struct db *db, const char *action, const char *object, const char *detail,
                   struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db,
                               "INSERT INTO audit_events(ts, actor, action, object, detail)"
                               " VALUES (?, ?, ?, ?, ?)",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, db_now(db));
    db_bind_text(st, 2, db->actor);
    db_bind_text(st, 3, action);
    db_bind_text(st, 4, object);
    db_bind_text(st, 5, detail ? detail : "{}");
    int rc = sqlite3_step(st) == SQLITE_DONE ? DB_OK : db_fail(db, err, "writing an audit event");
    sqlite3_finalize(st);
    return rc;
}

int db_audit_add(struct db *db, const char *action, const char *object, const char *detail,
                 struct dp_err *err)
{
    if (detail && strlen(detail) >= DB_AUDIT_DETAIL_MAX) {
        dp_err_set(err, "audit event %s on %s: detail longer than %d bytes; shorten it", action,
                   object, DB_AUDIT_DETAIL_MAX - 1);
        return DB_EINVAL;
    }
    sqlite3_stmt *st = db_prep(db, "SELECT json_valid(?) AND json_type(?) = 'object'", err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, detail ? detail : "{}");
    db_bind_text(st, 2, detail ? detail : "{}");
    int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!ok) {
        dp_err_set(err, "audit event %s on %s: detail is not a JSON object", action, object);
        return DB_EINVAL;
    }
    return db_audit_write(db, action, object, detail, err);
}

/* Appends s as a JSON string (quoted, escaped); returns the new length or cap on overflow. */
static size_t json_str(char *out, size_t n, size_t cap, const char *s)
{
    if (n < cap)
        out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && n < cap; p++) {
        if (*p == '"' || *p == '\\') {
            n += (size_t)snprintf(out + n, cap - n, "\\%c", *p);
        } else if (*p < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
        } else {
            out[n++] = (char)*p;
        }
    }
    if (n < cap)
        out[n++] = '"';
    return n < cap ? n : cap;
}

int db_audit_add_kv(struct db *db, const char *action, const char *object, const char *const *kv,
                    size_t n, struct dp_err *err)
{
    char detail[DB_AUDIT_DETAIL_MAX];
    size_t len = 0, cap = sizeof detail - 1; /* room for the closing brace... */
    int first = 1;
    detail[len++] = '{';
    for (size_t i = 0; i + 1 < 2 * n && len < cap; i += 2) {
        if (!kv[i] || !kv[i + 1])
            continue;
        if (!first && len < cap)
            detail[len++] = ',';
        first = 0;
        len = json_str(detail, len, cap, kv[i]);
        if (len < cap)
            detail[len++] = ':';
        len = json_str(detail, len, cap, kv[i + 1]);
    }
    if (len >= cap - 1) {
        /* ...and a value cut short would be invalid JSON: say so instead of guessing. */
        snprintf(detail, sizeof detail, "{\"truncated\":\"detail too long\"}");
        len = strlen(detail);
    } else {
        detail[len++] = '}';
    }
    detail[len] = '\0';
    return db_audit_write(db, action, object, detail, err);
}

int db_audit_list(struct db *db, int64_t after_id, size_t limit, const char *object,
                  struct db_audit_event **out, size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    /* The tail is the newest `limit` rows, read newest first, then returned oldest first. */
    const char *sql = after_id > 0
                          ? "SELECT id, ts, actor, action, object, detail FROM audit_events"
                            " WHERE id > ?1 AND (?2 IS NULL OR object = ?2) ORDER BY id LIMIT ?3"
                          : "SELECT * FROM (SELECT id, ts, actor, action, object, detail FROM"
                            " audit_events WHERE ?1 = 0 AND (?2 IS NULL OR object = ?2)"
                            " ORDER BY id DESC LIMIT ?3) ORDER BY id";
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, after_id > 0 ? after_id : 0);
    db_bind_text(st, 2, object);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)(limit > INT32_MAX ? INT32_MAX : limit));
    struct db_audit_event *arr = NULL;
    size_t cap = 0;
    int rc = DB_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = db_grow((void **)&arr, &cap, *n, sizeof *arr, err)) != DB_OK)
            break;
        struct db_audit_event *e = &arr[(*n)++];
        e->id = sqlite3_column_int64(st, 0);
        e->ts = sqlite3_column_int64(st, 1);
        db_col_text(st, 2, e->actor, sizeof e->actor);
        db_col_text(st, 3, e->action, sizeof e->action);
        db_col_text(st, 4, e->object, sizeof e->object);
        db_col_text(st, 5, e->detail, sizeof e->detail);
    }
    if (rc == DB_OK && s != SQLITE_DONE)
        rc = db_fail(db, err, "reading the audit log");
    sqlite3_finalize(st);
    if (rc != DB_OK) {
        free(arr);
        *n = 0;
        return rc;
    }
    *out = arr;
    return DB_OK;
}

int db_audit_add_kv_internal(struct db *db, const char *action, const char *kind, const char *name,
                             const char *const *kv, size_t n, struct dp_err *err)
{
    char object[128];
    snprintf(object, sizeof object, "%s:%s", kind, name);
    return db_audit_add_kv(db, action, object, kv, n, err);
}
