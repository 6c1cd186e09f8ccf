/* SPDX-License-Identifier: Apache-2.0 */
/* scrypt password hashes in PHC string form: hash, verify, parse. */
#include "passwd_hash.h"
#include "b64.h"

#include "err.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define SALT_LEN 16
#define KEY_LEN 32
#define MAX_MEM (1ull << 30)

/* Reads a decimal without sign or leading zeros from s[*i..len) up to `stop`; -1 if bad. */
static long number(const char *s, size_t len, size_t *i, char stop, long max)
{
    size_t start = *i;
    long v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        if (v > max)
            return -1;
        (*i)++;
    }
    if (*i == start || (s[start] == '0' && *i - start > 1))
        return -1;
    if (*i >= len || s[*i] != stop)
        return -1;
    (*i)++;
    return v;
}

/* Matches a literal at s[*i]. */
static int lit(const char *s, size_t len, size_t *i, const char *want)
{
    size_t n = strlen(want);
    if (len - *i < n || memcmp(s + *i, want, n) != 0)
        return 0;
    *i += n;
    return 1;
}

int phc_scrypt_parse(const char *s, size_t len, struct phc_scrypt *out)
{
    size_t i = 0;
    long ln, r, p;
    memset(out, 0, sizeof *out);
    if (!s || !lit(s, len, &i, "$scrypt$ln=") || (ln = number(s, len, &i, ',', 20)) < 1 ||
        !lit(s, len, &i, "r=") || (r = number(s, len, &i, ',', 32)) < 1 || !lit(s, len, &i, "p=") ||
        (p = number(s, len, &i, '$', 16)) < 1)
        return -1;
    /* scrypt needs 128 * r * N bytes; refuse what would take the host down. */
    if ((unsigned long long)128 * (unsigned long long)r * (1ull << ln) > MAX_MEM)
        return -1;
    const char *salt = s + i;
    const char *dollar = memchr(salt, '$', len - i);
    if (!dollar)
        return -1;
    size_t salt_chars = (size_t)(dollar - salt);
    const char *hash = dollar + 1;
    size_t hash_chars = len - i - salt_chars - 1;
    if (memchr(hash, '$', hash_chars))
        return -1;
    long sl = dp_b64_decode(salt, salt_chars, out->salt, sizeof out->salt, 0);
    long hl = dp_b64_decode(hash, hash_chars, out->hash, sizeof out->hash, 0);
    if (sl < 8 || hl < 16)
        return -1;
    out->ln = (int)ln;
    out->r = (int)r;
    out->p = (int)p;
    out->salt_len = (size_t)sl;
    out->hash_len = (size_t)hl;
    return 0;
}

int phc_scrypt_format(const struct phc_scrypt *h, char *out, size_t cap)
{
    char salt[dp_b64_len(sizeof h->salt, 0) + 1], hash[dp_b64_len(sizeof h->hash, 0) + 1];
    if (h->salt_len > sizeof h->salt || h->hash_len > sizeof h->hash)
        return -1;
    dp_b64_encode(h->salt, h->salt_len, salt, 0);
    dp_b64_encode(h->hash, h->hash_len, hash, 0);
    int n = snprintf(out, cap, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", h->ln, h->r, h->p, salt, hash);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* scrypt(password, salt) with h's parameters into key[h->hash_len]. */
static int derive(const char *password, const struct phc_scrypt *h, uint8_t *key,
                  struct dp_err *err)
{
    uint64_t n = 1ull << h->ln;
    /* OpenSSL's limit covers V (128*r*N) and B (128*r*p) plus a little; give it room. */
    uint64_t maxmem = 128ull * (uint64_t)h->r * (n + (uint64_t)h->p + 2) + (1u << 20);
    if (!EVP_PBE_scrypt(password, strlen(password), h->salt, h->salt_len, n, (uint64_t)h->r,
                        (uint64_t)h->p, maxmem, key, h->hash_len)) {
        char why[256];
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        dp_err_set(err, "scrypt failed (ln=%d, r=%d, p=%d): %s; is the host out of memory?", h->ln,
                   h->r, h->p, why);
        return -1;
    }
    return 0;
}

int passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct dp_err *err)
{
    struct phc_scrypt h = {.ln = PASSWD_LN, .r = PASSWD_R, .p = PASSWD_P};
    h.salt_len = SALT_LEN;
    h.hash_len = KEY_LEN;
    if (RAND_bytes(h.salt, SALT_LEN) != 1) {
        dp_err_set(err, "no random bytes for a password salt (OpenSSL RAND_bytes failed)");
        return -1;
    }
    int rc = derive(password, &h, h.hash, err);
    if (rc == 0 && phc_scrypt_format(&h, out, PASSWD_HASH_MAX) != 0) {
        dp_err_set(err, "password hash does not fit its buffer (a deskpool bug)");
        rc = -1;
    }
    OPENSSL_cleanse(&h, sizeof h);
    return rc;
}

int passwd_verify(const char *password, const char *phc, struct dp_err *err)
{
    struct phc_scrypt h;
    uint8_t key[sizeof h.hash];
    if (!phc || phc_scrypt_parse(phc, strlen(phc), &h) != 0) {
        dp_err_set(err, "the stored password hash is not a scrypt PHC string deskpool can "
                        "check; set the password again: deskpool user passwd NAME");
        return -1;
    }
    if (derive(password, &h, key, err) != 0)
        return -1;
    int same = CRYPTO_memcmp(key, h.hash, h.hash_len) == 0;
    OPENSSL_cleanse(key, sizeof key);
    return same;
}

int passwd_needs_rehash(const char *phc)
{
    struct phc_scrypt h;
    if (!phc || phc_scrypt_parse(phc, strlen(phc), &h) != 0)
        return 0;
    return h.ln < PASSWD_LN || h.r < PASSWD_R || h.salt_len < SALT_LEN || h.hash_len < KEY_LEN;
}
