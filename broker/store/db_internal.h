/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_INTERNAL_H
#define DESKPOOL_BROKER_DB_INTERNAL_H

/* What the DAO files share and callers never see: the connection struct and statement
 * helpers that turn sqlite failures into DB_E* codes with a message. */
#include "db.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct db {
    sqlite3 *h;
    int depth; /* open db_begin calls: 0 none, 1 the transaction, more are savepoints */
    int64_t now;
    char actor[64];
    char path[4096];
};

/* Prepares `sql`; NULL with err set on failure. */
sqlite3_stmt *db_prep(struct db *db, const char *sql, struct dp_err *err);

/* Sets err from the connection's last error, prefixed by `what`, and returns the DB_E* code
 * that fits it (a constraint failure is DB_ECONFLICT, anything else DB_EIO). */
int db_fail(struct db *db, struct dp_err *err, const char *what);

/* Runs a statement that returns no rows; returns 0 or a DB_E* code. */
int db_exec(struct db *db, const char *sql, struct dp_err *err);

/* Binds text, or NULL when s is NULL. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Binds an id, or NULL when id is 0 (ids start at 1). */
int db_bind_id(sqlite3_stmt *st, int i, int64_t id);

/* Copies column i as text into out (truncating at cap - 1; NULL becomes ""). */
void db_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

/* Writes an audit event through this connection (its actor, its clock). Meant to run
 * inside the caller's transaction, so the event and the change commit together. */
int db_audit_write(struct db *db, const char *action, const char *object, const char *detail,
                   struct dp_err *err);

/* Runs `sql` with ?1 bound to id and copies the first column of the first row into out.
 * Returns 1 if there was a row, 0 if not, or a DB_E* code. For "who still uses this?"
 * checks that make refusals name the user. */
int db_first_text(struct db *db, const char *sql, int64_t id, char *out, size_t cap,
                  struct dp_err *err);

/* Checks an object name (templates, pools, groups, users): 1..63 bytes of letters, digits
 * and "._-" (users also '@'), starting with a letter or digit. `kind` names it in the
 * message. Returns 0 or DB_EINVAL. */
int db_check_name(const char *kind, const char *name, int allow_at, struct dp_err *err);

/* db_audit_add_kv on object "KIND:NAME", for the DAOs' own events (same transaction). */
int db_audit_add_kv_internal(struct db *db, const char *action, const char *kind, const char *name,
                             const char *const *kv, size_t n, struct dp_err *err);

/* Growable array helper for the list functions: ensures room for one more element. */
int db_grow(void **arr, size_t *cap, size_t n, size_t elem, struct dp_err *err);
/* Steps st to its end, reading each row with read_row into the next elem-sized record of a
 * malloc'd array: *out and *n (both reset first; on failure *out is freed and NULL, *n 0).
 * Finalizes st. `what` names the listing in errors ("listing pools"). DB_OK or DB_EIO. */
int db_collect(struct db *db, sqlite3_stmt *st, size_t elem,
               void (*read_row)(sqlite3_stmt *st, void *row), void **out, size_t *n,
               const char *what, struct dp_err *err);

#endif
