/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_PASSWD_HASH_H
#define DESKPOOL_BROKER_PASSWD_HASH_H

/*
 * Password hashes for HTTPS logins: scrypt (OpenSSL 3), N = 2^15, r = 8, p = 1, a 16-byte
 * random salt and a 32-byte key, stored as a PHC-style string:
 *     $scrypt$ln=15,r=8,p=1$SALT$HASH     (SALT, HASH: unpadded standard base64)
 * One hash costs ~32 MiB and tens of milliseconds on purpose. The plaintext is never
 * stored, logged or returned.
 */
#include <stddef.h>
#include <stdint.h>

struct dp_err;

/* A PHC string with the largest parameters, salt and key we accept, + NUL:
 * "$scrypt$ln=18,r=32,p=16$" (24) + 86 + "$" + 86 base64 characters + 1 = 198. */
#define PASSWD_HASH_MAX 200
#define PASSWD_LN 15
#define PASSWD_R 8
#define PASSWD_P 1

/* A parsed PHC scrypt string. */
struct phc_scrypt {
    int ln; /* N = 2^ln */
    int r;
    int p;
    uint8_t salt[64];
    size_t salt_len;
    uint8_t hash[64];
    size_t hash_len;
};

/*
 * Parses exactly `len` bytes of s as "$scrypt$ln=L,r=R,p=P$SALT$HASH" with the parameters in
 * that order, decimal without leading zeros, 1 <= ln <= 20, 1 <= r <= 32, 1 <= p <= 16, at
 * most 1 GiB of scrypt memory, a salt of 8..64 bytes and a hash of 16..64 bytes. Pure (no
 * allocation, no I/O); fuzzed. Returns 0, or -1 for anything else.
 */
int phc_scrypt_parse(const char *s, size_t len, struct phc_scrypt *out);

/* Formats a parsed hash back (the canonical form); returns 0 or -1 if cap is too small. */
int phc_scrypt_format(const struct phc_scrypt *h, char *out, size_t cap);

/* Hashes a password (any bytes up to NUL) with a new random salt into out. */
int passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct dp_err *err);

/*
 * Checks a password against a stored PHC string, comparing in constant time. Returns 1 if
 * it matches, 0 if not, -1 with err set if the stored string is not a hash we can check
 * (which is not the user's fault: the message says to reset the password).
 */
int passwd_verify(const char *password, const char *phc, struct dp_err *err);

/* 1 if a valid stored hash uses weaker parameters than today's (rehash at next login). */
int passwd_needs_rehash(const char *phc);

#endif
