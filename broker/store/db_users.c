/* SPDX-License-Identifier: Apache-2.0 */
/* The users table: accounts, their two password hashes, lockout. */
#include "db_users.h"
#include "db_internal.h"
#include "nthash.h"
#include "passwd_hash.h"
#include "secretbox.h"

#include "err.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS                                                                                  \
    "u.id, u.name, u.display_name, u.password_hash <> '', u.nt_hash_enc IS NOT NULL,"              \
    " u.enabled, u.failed_logins, u.locked_until, coalesce(u.default_pool_id, 0),"                 \
    " coalesce(p.name, ''), u.created"

#define USER_FROM " FROM users u LEFT JOIN pools p ON p.id = u.default_pool_id"

/* A valid hash of a password nobody has, so an unknown name costs a real scrypt. */
static const char dummy_hash[] =
    "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static void read_user(sqlite3_stmt *st, struct db_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, u->name, sizeof u->name);
    db_col_text(st, 2, u->display_name, sizeof u->display_name);
    u->has_password = sqlite3_column_int(st, 3);
    u->has_nt_hash = sqlite3_column_int(st, 4);
    u->enabled = sqlite3_column_int(st, 5);
    u->failed_logins = sqlite3_column_int(st, 6);
    u->locked_until = sqlite3_column_int64(st, 7);
    u->default_pool_id = sqlite3_column_int64(st, 8);
    db_col_text(st, 9, u->default_pool, sizeof u->default_pool);
    u->created = sqlite3_column_int64(st, 10);
}

/* read_user for db_collect, which knows rows only as bytes. */
static void read_user_row(sqlite3_stmt *st, void *row)
{
    read_user(st, row);
}

static int get_where(struct db *db, const char *where, const char *name, int64_t id,
                     struct db_user *out, struct dp_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " USER_COLS USER_FROM " WHERE %s", where);
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    if (name)
        db_bind_text(st, 1, name);
    else
        sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_user(st, out);
    } else if (s == SQLITE_DONE) {
        if (name)
            dp_err_set(err, "no user \"%s\"; list them with: deskpool user list", name);
        else
            dp_err_set(err, "no user with id %lld", (long long)id);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a user");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_user_get(struct db *db, const char *name, struct db_user *out, struct dp_err *err)
{
    return get_where(db, "u.name = ?1", name, 0, out, err);
}

int db_user_get_by_id(struct db *db, int64_t id, struct db_user *out, struct dp_err *err)
{
    return get_where(db, "u.id = ?1", NULL, id, out, err);
}

int db_user_list(struct db *db, struct db_user **out, size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db, "SELECT " USER_COLS USER_FROM " ORDER BY u.name", err);
    if (!st)
        return DB_EIO;
    return db_collect(db, st, sizeof **out, read_user_row, (void **)out, n, "listing users", err);
}

int db_user_create(struct db *db, const char *name, const char *display_name, struct db_user *out,
                   struct dp_err *err)
{
    int rc = db_check_name("user", name, 1, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    struct db_user old;
    if (db_user_get(db, name, &old, NULL) == DB_OK) {
        dp_err_set(err,
                   "user \"%s\" already exists (as \"%s\"; names ignore case); choose "
                   "another name or run: deskpool user list",
                   name, old.name);
        db_rollback(db);
        return DB_EEXISTS;
    }
    sqlite3_stmt *st =
        db_prep(db, "INSERT INTO users(name, display_name, created) VALUES (?, ?, ?)", err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    db_bind_text(st, 1, name);
    db_bind_text(st, 2, display_name ? display_name : "");
    sqlite3_bind_int64(st, 3, db_now(db));
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, "creating a user");
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "user.create", "user", name, NULL, 0, err);
    if (rc == DB_OK)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    if (rc == DB_OK && out)
        rc = db_user_get(db, name, out, err);
    return rc;
}

int db_user_delete(struct db *db, const char *name, struct dp_err *err)
{
    struct db_user u;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_user_get(db, name, &u, err)) == DB_OK) {
        char vm[64];
        int r = db_first_text(db, "SELECT name FROM vms WHERE assigned_user_id = ?1", u.id, vm,
                              sizeof vm, err);
        if (r == 1) {
            dp_err_set(err,
                       "user \"%s\" owns or uses VM \"%s\"; log them off and delete or "
                       "reset that VM first (deskpool vm delete %s)",
                       u.name, vm, vm);
            rc = DB_ECONFLICT;
        } else if (r < 0) {
            rc = r;
        }
    }
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, "DELETE FROM users WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, u.id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "deleting a user");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "user.delete", "user", u.name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* The associated data that ties a sealed NT hash to its user row. */
static int nt_aad(int64_t user_id, char *out, size_t cap)
{
    return snprintf(out, cap, "deskpool:nt_hash:user:%lld", (long long)user_id);
}

int db_user_set_password(struct db *db, int64_t user_id, const char *password,
                         const struct secretbox_key *key, struct dp_err *err)
{
    if (!password || !*password) {
        dp_err_set(err, "an empty password is not allowed; choose one");
        return DB_EINVAL;
    }
    /* The slow hashing happens before the write lock is taken. */
    char phc[PASSWD_HASH_MAX], aad[64];
    uint8_t nt[16], sealed[16 + SECRETBOX_OVERHEAD];
    size_t sealed_len = 0;
    int rc = DB_EINVAL;
    int aad_len = nt_aad(user_id, aad, sizeof aad);
    if (nt_hash(password, nt, err) == 0 && passwd_hash(password, phc, err) == 0 &&
        secretbox_seal(key, aad, (size_t)aad_len, nt, sizeof nt, sealed, sizeof sealed, &sealed_len,
                       err) == 0)
        rc = DB_OK;
    OPENSSL_cleanse(nt, sizeof nt);
    if (rc != DB_OK)
        return rc;
    struct db_user u;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    rc = db_user_get_by_id(db, user_id, &u, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db,
                                      "UPDATE users SET password_hash = ?, nt_hash_enc = ?,"
                                      " failed_logins = 0, locked_until = 0 WHERE id = ?",
                                      err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        db_bind_text(st, 1, phc);
        sqlite3_bind_blob(st, 2, sealed, (int)sealed_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, user_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "setting a password");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "user.passwd", "user", u.name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_user_can_login(const struct db_user *u, int64_t now, char *why, size_t cap)
{
    if (!u->enabled) {
        snprintf(why, cap, "account \"%s\" is disabled; ask an admin (deskpool user enable %s)",
                 u->name, u->name);
        return 0;
    }
    if (u->locked_until > now) {
        snprintf(why, cap,
                 "account \"%s\" is locked for %lld more seconds after %d failed "
                 "logins; wait, or ask an admin to set a new password",
                 u->name, (long long)(u->locked_until - now), u->failed_logins);
        return 0;
    }
    return 1;
}

/* Adds one failure, locking at the limit; a failure after a lockout ended locks again at
 * once (only a success or a new password resets the count). */
int db_user_login_failed(struct db *db, int64_t user_id, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    sqlite3_stmt *st = db_prep(db,
                               "UPDATE users SET failed_logins = failed_logins + 1,"
                               " locked_until = CASE WHEN failed_logins + 1 >= ?1 THEN ?2"
                               " ELSE locked_until END WHERE id = ?3"
                               " RETURNING name, failed_logins, locked_until > ?4",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    int64_t now = db_now(db);
    sqlite3_bind_int(st, 1, DB_USER_MAX_FAILED);
    sqlite3_bind_int64(st, 2, now + DB_USER_LOCK_S);
    sqlite3_bind_int64(st, 3, user_id);
    sqlite3_bind_int64(st, 4, now);
    char name[64] = "", count[16] = "";
    int locked = 0;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        db_col_text(st, 0, name, sizeof name);
        snprintf(count, sizeof count, "%d", sqlite3_column_int(st, 1));
        locked = sqlite3_column_int(st, 2);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "no user with id %lld", (long long)user_id);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "counting a failed login");
    }
    sqlite3_finalize(st);
    const char *kv[] = {"failed_logins", count, "locked", locked ? "yes" : "no"};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "user.login_failed", "user", name, kv, 2, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_user_login_ok(struct db *db, int64_t user_id, struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db,
                               "UPDATE users SET failed_logins = 0, locked_until = 0"
                               " WHERE id = ? AND failed_logins > 0",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? DB_OK : db_fail(db, err, "resetting failures");
    sqlite3_finalize(st);
    return rc;
}

/* Reads the stored scrypt hash of a user (by name, any case). 1 found, 0 not, or DB_E*. */
static int stored_hash(struct db *db, const char *name, char *phc, size_t cap, struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, "SELECT password_hash FROM users WHERE name = ?", err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, name);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        db_col_text(st, 0, phc, cap);
        rc = 1;
    } else if (s != SQLITE_DONE) {
        rc = db_fail(db, err, "reading a password hash");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_user_check_password(struct db *db, const char *name, const char *password,
                           struct db_user *out, struct dp_err *err)
{
    char phc[PASSWD_HASH_MAX] = "", why[256];
    struct db_user u;
    int found = stored_hash(db, name, phc, sizeof phc, err);
    if (found < 0)
        return found;
    if (found && db_user_get(db, name, &u, err) != DB_OK)
        return DB_EIO;
    if (found && !db_user_can_login(&u, db_now(db), why, sizeof why)) {
        dp_err_set(err, "%s", why);
        return DB_EDENIED;
    }
    /* No hash set: compare with the dummy so the time is the same and the answer is no. */
    int has = found && phc[0];
    int match = passwd_verify(password ? password : "", has ? phc : dummy_hash, err);
    if (match < 0)
        return DB_EIO;
    if (match == 1 && has) {
        *out = u;
        return db_user_login_ok(db, u.id, err);
    }
    if (found) {
        int rc = db_user_login_failed(db, u.id, err);
        if (rc != DB_OK)
            return rc;
    } else {
        const char *kv[] = {"reason", "unknown user"};
        int rc = db_audit_add_kv_internal(db, "user.login_failed", "user", name, kv, 1, err);
        if (rc != DB_OK)
            return rc;
    }
    dp_err_set(err, "wrong user name or password");
    return DB_EDENIED;
}

int db_user_ntlm_v2_hash(struct db *db, const char *user, const char *domain,
                         const struct secretbox_key *key, uint8_t out[16], struct dp_err *err)
{
    struct db_user u;
    char why[256], aad[64];
    if (db_user_get(db, user, &u, NULL) != DB_OK || !u.has_nt_hash) {
        dp_err_set(err, "no NLA login for \"%s\": unknown user or no password set", user);
        return DB_EDENIED;
    }
    if (!db_user_can_login(&u, db_now(db), why, sizeof why)) {
        dp_err_set(err, "%s", why);
        return DB_EDENIED;
    }
    sqlite3_stmt *st = db_prep(db, "SELECT nt_hash_enc FROM users WHERE id = ?", err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, u.id);
    int rc = DB_EIO;
    uint8_t nt[64];
    size_t nt_len = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const uint8_t *blob = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        int aad_len = nt_aad(u.id, aad, sizeof aad);
        struct dp_err why_err = {0};
        if (blob &&
            secretbox_open(key, aad, (size_t)aad_len, blob, (size_t)len, nt, sizeof nt, &nt_len,
                           &why_err) == 0 &&
            nt_len == 16 && ntowfv2(nt, user, domain, out, &why_err) == 0)
            rc = DB_OK;
        else
            dp_err_set(err,
                       "user \"%s\": the stored NT hash cannot be used (%s); set the "
                       "password again: deskpool user passwd %s",
                       u.name, why_err.set ? why_err.msg : "wrong length", u.name);
    } else {
        rc = db_fail(db, err, "reading an NT hash");
    }
    sqlite3_finalize(st);
    OPENSSL_cleanse(nt, sizeof nt);
    return rc;
}

static int set_int(struct db *db, int64_t user_id, const char *sql, int64_t value,
                   const char *action, const char *value_text, struct dp_err *err)
{
    struct db_user u;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_user_get_by_id(db, user_id, &u, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, sql, err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        db_bind_id(st, 1, value);
        sqlite3_bind_int64(st, 2, user_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "updating a user");
    }
    sqlite3_finalize(st);
    const char *kv[] = {"value", value_text};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, action, "user", u.name, kv, 1, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_user_set_enabled(struct db *db, int64_t user_id, int enabled, struct dp_err *err)
{
    return set_int(db, user_id,
                   "UPDATE users SET enabled = coalesce(?1, 0), failed_logins = 0,"
                   " locked_until = 0 WHERE id = ?2",
                   enabled ? 1 : 0, enabled ? "user.enable" : "user.disable", NULL, err);
}

int db_user_set_default_pool(struct db *db, int64_t user_id, int64_t pool_id, struct dp_err *err)
{
    char name[64] = "";
    if (pool_id) {
        int r = db_first_text(db, "SELECT name FROM pools WHERE id = ?1", pool_id, name,
                              sizeof name, err);
        if (r == 0) {
            dp_err_set(err, "no pool with id %lld; list them with: deskpool pool list",
                       (long long)pool_id);
            return DB_ENOTFOUND;
        }
        if (r < 0)
            return r;
    }
    return set_int(db, user_id, "UPDATE users SET default_pool_id = ?1 WHERE id = ?2", pool_id,
                   "user.default_pool", pool_id ? name : "", err);
}
