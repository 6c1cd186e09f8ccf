/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_USERS_H
#define DESKPOOL_BROKER_DB_USERS_H

/*
 * Local users: a scrypt hash for HTTPS logins and the NT hash for NLA (encrypted with the
 * broker's key, secretbox.h), enable/disable and failed-login lockout. Names are
 * case-insensitive, like Windows accounts. Plaintext passwords pass through here on their
 * way to a hash and are never stored, logged or returned; hashes never leave in a struct.
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;
struct secretbox_key;

/* Lockout policy: this many failures in a row lock the account for DB_USER_LOCK_S. */
#define DB_USER_MAX_FAILED 5
#define DB_USER_LOCK_S 900

struct db_user {
    int64_t id;
    char name[64];
    char display_name[128];
    int has_password; /* a scrypt hash is set (HTTPS logins) */
    int has_nt_hash;  /* an NT hash is set (NLA logins) */
    int enabled;
    int failed_logins;
    int64_t locked_until;    /* unix seconds; <= now: not locked */
    int64_t default_pool_id; /* 0: none */
    char default_pool[64];
    int64_t created;
};

/* Creates an enabled user with no password (it cannot log in until db_user_set_password).
 * DB_EEXISTS if the name is taken in any case. */
int db_user_create(struct db *db, const char *name, const char *display_name, struct db_user *out,
                   struct dp_err *err);

int db_user_get(struct db *db, const char *name, struct db_user *out, struct dp_err *err);
int db_user_get_by_id(struct db *db, int64_t id, struct db_user *out, struct dp_err *err);

/* All users by name, malloc'd (free() it). */
int db_user_list(struct db *db, struct db_user **out, size_t *n, struct dp_err *err);

/* Deletes a user with their memberships, entitlements, tokens and session history. Refused
 * while they own or hold a VM (DB_ECONFLICT): the message names it. */
int db_user_delete(struct db *db, const char *name, struct dp_err *err);

/*
 * Sets a user's password: stores its scrypt hash and its NT hash sealed with `key` (bound to
 * the user's id), and clears a lockout. Audited without the secret. Refuses an empty
 * password or one that is not UTF-8.
 */
int db_user_set_password(struct db *db, int64_t user_id, const char *password,
                         const struct secretbox_key *key, struct dp_err *err);

/*
 * Checks an HTTPS login. DB_OK and *out filled if the user exists, is enabled, not locked and
 * the password matches (failures then reset). Otherwise DB_EDENIED with one message for
 * unknown user and wrong password (so names cannot be probed; an unknown name costs the same
 * scrypt time), a failure counted and audited, and the account locked at
 * DB_USER_MAX_FAILED.
 */
int db_user_check_password(struct db *db, const char *name, const char *password,
                           struct db_user *out, struct dp_err *err);

/*
 * The NTOWFv2 hash the gateway needs to check an NLA login of `user` (as the client typed
 * it) in `domain`. DB_EDENIED if the user is unknown, disabled, locked or has no NT hash.
 * The hash is for the gateway's ComputeNtlmHash callback only: never log it.
 */
int db_user_ntlm_v2_hash(struct db *db, const char *user, const char *domain,
                         const struct secretbox_key *key, uint8_t out[16], struct dp_err *err);

/* Counts a failed login that was checked elsewhere (the gateway's NLA); locks at the limit.
 * Audited. */
int db_user_login_failed(struct db *db, int64_t user_id, struct dp_err *err);
/* Resets the failure count after a successful login elsewhere. */
int db_user_login_ok(struct db *db, int64_t user_id, struct dp_err *err);

/* 1 if the user may log in at `now`, else 0 with the reason (disabled, locked until...)
 * written to why. Pure. */
int db_user_can_login(const struct db_user *u, int64_t now, char *why, size_t cap);

/* Enables or disables a user (disabling also clears their lockout count). Audited. */
int db_user_set_enabled(struct db *db, int64_t user_id, int enabled, struct dp_err *err);

/* Sets the pool a user gets when they do not name one; 0 clears it. */
int db_user_set_default_pool(struct db *db, int64_t user_id, int64_t pool_id, struct dp_err *err);

#endif
