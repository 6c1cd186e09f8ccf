/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_SELFSERVICE_CRYPTO_H
#define DESKPOOL_BROKER_SELFSERVICE_CRYPTO_H

/*
 * Keys and MACs of self-service: each purpose gets its own key derived from the broker's
 * secret key (HMAC-SHA256(master, label)), so a MAC made for one purpose (a CSRF token) can
 * never pass as another (a routing token). Pure functions over OpenSSL; unit-tested.
 */
#include <stddef.h>
#include <stdint.h>

#define SS_KEY_LEN 32
/* base64url of 32 bytes, unpadded, + NUL */
#define SS_B64_32 44

/* out = HMAC-SHA256(master, label). Returns 0, or -1 if OpenSSL fails. */
int ss_derive_key(const uint8_t master[SS_KEY_LEN], const char *label, uint8_t out[SS_KEY_LEN]);

/* out = base64url(HMAC-SHA256(key, msg)), unpadded (43 characters + NUL). 0 or -1. */
int ss_mac_b64(const uint8_t key[SS_KEY_LEN], const void *msg, size_t len, char out[SS_B64_32]);

/* Unpadded base64url of n bytes into out (4 * ceil(n / 3) + 1 bytes is always enough). */
void ss_b64url(const uint8_t *in, size_t n, char *out);

/* Constant-time equality of two NUL-terminated strings (the time depends only on the
 * length of `want`). 1 if equal. */
int ss_str_eq_ct(const char *want, const char *got);

#endif
