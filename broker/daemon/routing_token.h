/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_ROUTING_TOKEN_H
#define DESKPOOL_BROKER_ROUTING_TOKEN_H

/*
 * Routing tokens as the client presents them (`Cookie: msts=TOKEN` in the X.224 request,
 * or deskpool-connect's /load-balance-info): "RAW.EXPIRES.MAC" where
 *   RAW      43 base64url characters: 32 random bytes from db_token_issue; the store keeps
 *            only SHA-256(RAW) and spends it on the first redemption (one-time)
 *   EXPIRES  unix seconds, decimal
 *   MAC      43 base64url characters: HMAC-SHA256(routing key, "v1|RAW|USER_ID|VM_ID|EXPIRES")
 * The MAC binds the token to the user and VM the store row names and to its expiry, so a
 * forged or altered token (or a row changed in a stolen database) is refused, and an expired
 * one is refused before the store is asked. At most 98 characters: it fits the X.224 cookie
 * line next to RDP_NEG_REQ and the correlation info (189 bytes are left for it).
 * Pure functions; unit-tested.
 */
#include <stddef.h>
#include <stdint.h>

#define ROUTING_TOKEN_TTL_S 60
#define ROUTING_TOKEN_TEXT_MAX 128 /* with room; real ones are <= 98 characters */
#define ROUTING_TOKEN_RAW_LEN 43

struct routing_token_parts {
    char raw[ROUTING_TOKEN_RAW_LEN + 1];
    int64_t expires;
    char mac[44];
};

/* The routing key from the broker's 32-byte secret key. 0 or -1. */
int routing_token_key(const uint8_t master[32], uint8_t key[32]);

/* Writes "RAW.EXPIRES.MAC" for a raw token from the store. 0, or -1 if raw is not 43
 * base64url characters or out is too small. */
int routing_token_compose(const uint8_t key[32], const char *raw, int64_t user_id, int64_t vm_id,
                          int64_t expires, char *out, size_t cap);

/* Splits a presented token; -1 if it does not have exactly that shape. */
int routing_token_split(const char *text, struct routing_token_parts *out);

/* 1 if p's MAC is the one for (user_id, vm_id) and p->expires > now; else 0. Constant time
 * over the MAC. */
int routing_token_valid(const uint8_t key[32], const struct routing_token_parts *p, int64_t user_id,
                        int64_t vm_id, int64_t now);

#endif
