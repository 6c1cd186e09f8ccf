/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_H
#define DESKPOOL_BROKER_DB_H

/*
 * The broker's store: one sqlite file in WAL mode with foreign keys on, a busy timeout and
 * versioned migrations. A `struct db` is one connection; it is not thread-safe, so each
 * thread or process opens its own (they serialise on sqlite's locks, see db_begin).
 *
 * Every DAO function (store/db_*.h) returns 0 on success or one of the negative DB_E* codes
 * below with `err` set to a message that names what failed and what to do. The codes let the
 * HTTP layer pick a status (404, 409, 400, 500) without parsing messages.
 */
#include <stdint.h>

struct dp_err;
struct db;

enum db_rc {
    DB_OK = 0,
    DB_EIO = -1,       /* sqlite or the file system failed; the message has the detail */
    DB_ENOTFOUND = -2, /* no such object */
    DB_EEXISTS = -3,   /* an object of that name already exists */
    DB_ECONFLICT = -4, /* the object changed under us (compare-and-set lost) or is in use */
    DB_EINVAL = -5,    /* a bad argument or an illegal state transition */
    DB_EDENIED = -6,   /* wrong password, account disabled or locked out, token invalid */
};

/* The schema version this binary writes (the number of migrations it knows). */
int db_schema_latest(void);

/*
 * Opens (creating if missing) the store at `path` and migrates it to db_schema_latest().
 * Refuses a database written by a newer deskpool (a higher schema version), naming both
 * versions, and a file that has tables but no schema version (not a deskpool store). On
 * failure *out is NULL and nothing was changed by this call.
 */
int db_open(const char *path, struct db **out, struct dp_err *err);

/* Like db_open but applies no migration: for tools and tests that drive db_migrate. */
int db_open_unmigrated(const char *path, struct db **out, struct dp_err *err);

/*
 * Applies the migrations after the current schema version up to `target` (which must not
 * exceed db_schema_latest()), each in its own transaction, so a crash leaves the database
 * at the last complete version. A database newer than this binary is refused.
 */
int db_migrate(struct db *db, int target, struct dp_err *err);

/* The database's schema version (PRAGMA user_version), or -1 on error. */
int db_schema_version(struct db *db);

/* Closes the connection; NULL is ignored. Rolls back a transaction left open. */
void db_close(struct db *db);

/*
 * Transactions. The outermost db_begin is BEGIN IMMEDIATE: it takes the write lock at once
 * (waiting up to the busy timeout), so two connections never both read a state and then
 * both write on it. Nested calls are savepoints, so a DAO function that needs a transaction
 * can be composed into a caller's bigger one. Every db_begin is ended by exactly one
 * db_commit or db_rollback.
 */
int db_begin(struct db *db, struct dp_err *err);
int db_commit(struct db *db, struct dp_err *err);
void db_rollback(struct db *db);

/*
 * Who the audit events written through this connection name as their actor
 * ("admin:root", "user:alice", "pool-manager"); "system" until set. Copied; truncated at
 * 63 bytes.
 */
void db_set_actor(struct db *db, const char *actor);

/* The clock the store stamps rows with (unix seconds). Tests pin it with db_set_now(db, t);
 * 0 returns to the real clock. */
int64_t db_now(struct db *db);
void db_set_now(struct db *db, int64_t now);

/* The underlying sqlite handle, for tests and one-off admin queries. */
struct sqlite3 *db_sqlite(struct db *db);

#endif
