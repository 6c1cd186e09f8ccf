/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_TOKENS_H
#define DESKPOOL_BROKER_DB_TOKENS_H

/*
 * Bearer tokens: routing tokens (one-time, short-lived, for .rdp files and
 * deskpool-connect: they name a user and a VM) and API session tokens (a logged-in user of
 * the HTTPS API, valid until they expire or are revoked). The store keeps only SHA-256 of a
 * token: a copy of the database lets nobody in.
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

enum db_token_kind {
    DB_TOKEN_ROUTING,
    DB_TOKEN_API_SESSION,
};

#define DB_TOKEN_TEXT_MAX 64 /* 43 base64url characters + NUL, with room */

struct db_token {
    int64_t id;
    enum db_token_kind kind;
    int64_t user_id;
    char user[64];
    int64_t vm_id; /* 0: none */
    int64_t created;
    int64_t expires;
    int64_t used_at; /* 0: not used */
};

const char *db_token_kind_name(enum db_token_kind k);

/*
 * Issues a token of `kind` for user_id (and vm_id, 0 for none) valid for ttl_s seconds:
 * 32 random bytes as base64url in `token` (shown to the user once, never stored), its hash
 * in the store.
 */
int db_token_issue(struct db *db, enum db_token_kind kind, int64_t user_id, int64_t vm_id,
                   int ttl_s, char token[DB_TOKEN_TEXT_MAX], struct dp_err *err);

/*
 * Checks a presented token of `kind`. A routing token is spent by this call: of two
 * concurrent redemptions exactly one succeeds. An API session token stays valid. DB_OK and
 * *out filled, or DB_EDENIED (unknown, wrong kind, expired, already used, or the user is
 * disabled) with one message that does not say which.
 */
int db_token_redeem(struct db *db, const char *token, enum db_token_kind kind, struct db_token *out,
                    struct dp_err *err);

/* Revokes a token (logout). DB_ENOTFOUND if it is not known. */
int db_token_revoke(struct db *db, const char *token, struct dp_err *err);

/* Deletes expired tokens and spent routing tokens; *removed (may be NULL) says how many. */
int db_tokens_purge(struct db *db, size_t *removed, struct dp_err *err);

#endif
