/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_CSRF_H
#define DESKPOOL_BROKER_CSRF_H

/*
 * CSRF tokens of the portal: the session cookie goes with every request the browser makes
 * to the broker, even one a hostile page triggers (SameSite=Strict stops most, not all:
 * a sibling subdomain is "same site"). So every state-changing call made with the cookie
 * must also carry X-CSRF-Token, which only the portal's own script knows: it is
 * base64url(HMAC-SHA256(csrf key, "csrf|" + session token)), given once in the login
 * answer. Stateless: nothing to store, and it dies with the session. Pure; unit-tested.
 */
#include <stddef.h>
#include <stdint.h>

#define CSRF_TOKEN_LEN 44 /* 43 characters + NUL */

/* The CSRF key from the broker's 32-byte secret key. 0 or -1. */
int csrf_key(const uint8_t master[32], uint8_t key[32]);

/* The CSRF token of a session token. 0 or -1. */
int csrf_token(const uint8_t key[32], const char *session, char out[CSRF_TOKEN_LEN]);

/* 1 if `presented` (may be NULL: no header) is the CSRF token of `session`; constant time. */
int csrf_check(const uint8_t key[32], const char *session, const char *presented);

#endif
