/* SPDX-License-Identifier: Apache-2.0 */
/* The tokens table: issue, redeem (one-time for routing), revoke, purge. */
#include "db_tokens.h"
#include "b64.h"
#include "db_internal.h"

#include "err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_BYTES 32
#define TOKEN_TEXT_MAX_IN 256 /* longer presented tokens are refused before hashing */

const char *db_token_kind_name(enum db_token_kind k)
{
    return k == DB_TOKEN_ROUTING ? "routing" : "api_session";
}

/* Hex SHA-256 of the token text. */
static int token_hash(const char *token, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int db_token_issue(struct db *db, enum db_token_kind kind, int64_t user_id, int64_t vm_id,
                   int ttl_s, char token[DB_TOKEN_TEXT_MAX], struct dp_err *err)
{
    uint8_t raw[TOKEN_BYTES];
    char hash[65];
    if (ttl_s <= 0) {
        dp_err_set(err, "a token needs a positive lifetime");
        return DB_EINVAL;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        dp_err_set(err, "no random bytes for a token (OpenSSL RAND_bytes failed)");
        return DB_EIO;
    }
    dp_b64_encode(raw, sizeof raw, token, 0);
    OPENSSL_cleanse(raw, sizeof raw);
    /* base64url, so the token survives URLs, cookies and .rdp files unescaped. */
    for (char *p = token; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    if (token_hash(token, hash) != 0) {
        dp_err_set(err, "SHA-256 failed in OpenSSL");
        return DB_EIO;
    }
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    char user[64];
    int r =
        db_first_text(db, "SELECT name FROM users WHERE id = ?1", user_id, user, sizeof user, err);
    if (r == 0) {
        dp_err_set(err, "no user with id %lld", (long long)user_id);
        r = DB_ENOTFOUND;
    }
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    sqlite3_stmt *st = db_prep(db,
                               "INSERT INTO tokens(hash, kind, user_id, vm_id, created, expires)"
                               " VALUES (?, ?, ?, ?, ?, ?)",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    int64_t now = db_now(db);
    db_bind_text(st, 1, hash);
    db_bind_text(st, 2, db_token_kind_name(kind));
    sqlite3_bind_int64(st, 3, user_id);
    db_bind_id(st, 4, vm_id);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, now + ttl_s);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, "issuing a token");
    sqlite3_finalize(st);
    const char *kv[] = {"kind", db_token_kind_name(kind)};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "token.issue", "user", user, kv, 1, err);
    if (rc == DB_OK)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    if (rc != DB_OK)
        OPENSSL_cleanse(token, DB_TOKEN_TEXT_MAX);
    return rc;
}

int db_token_redeem(struct db *db, const char *token, enum db_token_kind kind, struct db_token *out,
                    struct dp_err *err)
{
    char hash[65];
    if (!token || strlen(token) > TOKEN_TEXT_MAX_IN || token_hash(token, hash) != 0) {
        dp_err_set(err, "token not valid (unknown, expired or already used); ask for a new one");
        return DB_EDENIED;
    }
    /* One statement checks and spends: a routing token's used_at is set only if it was
     * unset, so two redemptions racing on two connections cannot both see it unused. */
    sqlite3_stmt *st = db_prep(
        db,
        "UPDATE tokens SET used_at = CASE WHEN kind = 'routing' THEN ?3 ELSE used_at END"
        " WHERE hash = ?1 AND kind = ?2 AND expires > ?3 AND used_at IS NULL"
        " AND (SELECT enabled FROM users WHERE users.id = tokens.user_id) = 1"
        " RETURNING id, user_id, coalesce(vm_id, 0), created, expires, coalesce(used_at, 0),"
        " (SELECT name FROM users WHERE users.id = tokens.user_id)",
        err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, hash);
    db_bind_text(st, 2, db_token_kind_name(kind));
    sqlite3_bind_int64(st, 3, db_now(db));
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->kind = kind;
        out->id = sqlite3_column_int64(st, 0);
        out->user_id = sqlite3_column_int64(st, 1);
        out->vm_id = sqlite3_column_int64(st, 2);
        out->created = sqlite3_column_int64(st, 3);
        out->expires = sqlite3_column_int64(st, 4);
        out->used_at = sqlite3_column_int64(st, 5);
        db_col_text(st, 6, out->user, sizeof out->user);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "token not valid (unknown, expired or already used); ask for a new one");
        rc = DB_EDENIED;
    } else {
        rc = db_fail(db, err, "checking a token");
    }
    /* RETURNING rows are produced before the change is final: step to the end. */
    while (s == SQLITE_ROW)
        s = sqlite3_step(st);
    if (rc == DB_OK && s != SQLITE_DONE)
        rc = db_fail(db, err, "spending a token");
    sqlite3_finalize(st);
    return rc;
}

int db_token_revoke(struct db *db, const char *token, struct dp_err *err)
{
    char hash[65];
    if (!token || strlen(token) > TOKEN_TEXT_MAX_IN || token_hash(token, hash) != 0) {
        dp_err_set(err, "unknown token");
        return DB_ENOTFOUND;
    }
    sqlite3_stmt *st = db_prep(db, "DELETE FROM tokens WHERE hash = ?", err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, hash);
    int rc = DB_OK;
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err, "revoking a token");
    } else if (sqlite3_changes(db->h) == 0) {
        dp_err_set(err, "unknown token (already revoked or expired and purged)");
        rc = DB_ENOTFOUND;
    }
    sqlite3_finalize(st);
    return rc;
}

int db_tokens_purge(struct db *db, size_t *removed, struct dp_err *err)
{
    sqlite3_stmt *st =
        db_prep(db, "DELETE FROM tokens WHERE expires <= ? OR used_at IS NOT NULL", err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, db_now(db));
    int rc = sqlite3_step(st) == SQLITE_DONE ? DB_OK : db_fail(db, err, "purging tokens");
    if (removed)
        *removed = rc == DB_OK ? (size_t)sqlite3_changes(db->h) : 0;
    sqlite3_finalize(st);
    return rc;
}
