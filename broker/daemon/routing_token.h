/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_ROUTING_TOKEN_H
#define DESKPOOL_BROKER_ROUTING_TOKEN_H

/*
 * Routing tokens as the client presents them (`Cookie: msts=TOKEN` in the X.224 request,
 * or deskpool-connect's /load-balance-info): "RAW.USER_ID.VM_ID.EXPIRES.MAC" where
 *   RAW      43 base64url characters: 32 random bytes from db_token_issue; the store keeps
 *            only SHA-256(RAW) and spends it on the first redemption (one-time)
 *   USER_ID, VM_ID, EXPIRES   decimal (ids of the store; unix seconds)
 *   MAC      43 base64url characters: HMAC-SHA256(routing key, "v1|RAW|USER_ID|VM_ID|EXPIRES")
 * The MAC is checked before the store is asked, so a forged, altered or expired token is
 * refused without spending anything (a tampered copy cannot burn the real token); the
 * store's row must then name the same user and VM (a row changed in a stolen database is
 * refused too). At most 144 characters (ids and expiry up to 18 digits each); the X.224 cookie line
 * has 189 bytes for it next to RDP_NEG_REQ and the correlation info. Pure functions; unit-tested.
 */
#include <stddef.h>
#include <stdint.h>

#define ROUTING_TOKEN_TTL_S 60
#define ROUTING_TOKEN_TEXT_MAX 160 /* with room; real ones are far shorter */
#define ROUTING_TOKEN_RAW_LEN 43

struct routing_token_parts {
    char raw[ROUTING_TOKEN_RAW_LEN + 1];
    int64_t user_id, vm_id;
    int64_t expires;
    char mac[44];
};

/* The routing key from the broker's 32-byte secret key. 0 or -1. */
int routing_token_key(const uint8_t master[32], uint8_t key[32]);

/* Writes "RAW.USER_ID.VM_ID.EXPIRES.MAC" for a raw token from the store. 0, or -1 if raw is not 43
 * base64url characters or out is too small. */
int routing_token_compose(const uint8_t key[32], const char *raw, int64_t user_id, int64_t vm_id,
                          int64_t expires, char *out, size_t cap);

/* Splits a presented token; -1 if it does not have exactly that shape. */
int routing_token_split(const char *text, struct routing_token_parts *out);

/* 1 if p's MAC is right for its raw token, ids and expiry and p->expires > now; else 0.
 * Constant time over the MAC. */
int routing_token_valid(const uint8_t key[32], const struct routing_token_parts *p, int64_t now);

#endif
