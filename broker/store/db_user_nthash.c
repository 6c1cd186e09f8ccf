/* SPDX-License-Identifier: Apache-2.0 */
/* Reading back a user's sealed NT hash (see db_user_nthash.h for the one reason to). */
#include "db_user_nthash.h"
#include "db_internal.h"
#include "db_users.h"
#include "secretbox.h"

#include "err.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

int db_user_nt_hash(struct db *db, int64_t user_id, const struct secretbox_key *key,
                    uint8_t out[16], struct dp_err *err)
{
    struct db_user u;
    int rc = db_user_get_by_id(db, user_id, &u, err);
    if (rc != DB_OK)
        return rc;
    if (!u.has_nt_hash) {
        dp_err_set(err,
                   "user \"%s\" has no password set yet; an admin sets one: deskpool user "
                   "passwd %s",
                   u.name, u.name);
        return DB_EDENIED;
    }
    sqlite3_stmt *st = db_prep(db, "SELECT nt_hash_enc FROM users WHERE id = ?", err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, u.id);
    uint8_t nt[64];
    size_t nt_len = 0;
    /* The associated data db_users.c seals with: the hash is bound to its user row. */
    char aad[64];
    int aad_len = snprintf(aad, sizeof aad, "deskpool:nt_hash:user:%lld", (long long)u.id);
    rc = DB_EIO;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const uint8_t *blob = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        struct dp_err why = {0};
        if (blob &&
            secretbox_open(key, aad, (size_t)aad_len, blob, (size_t)len, nt, sizeof nt, &nt_len,
                           &why) == 0 &&
            nt_len == 16) {
            memcpy(out, nt, 16);
            rc = DB_OK;
        } else {
            dp_err_set(err,
                       "user \"%s\": the stored NT hash cannot be decrypted (%s); is this the "
                       "broker's key? Set the password again: deskpool user passwd %s",
                       u.name, why.set ? why.msg : "wrong length", u.name);
        }
    } else {
        rc = db_fail(db, err, "reading an NT hash");
    }
    sqlite3_finalize(st);
    OPENSSL_cleanse(nt, sizeof nt);
    return rc;
}
