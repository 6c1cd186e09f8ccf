/* SPDX-License-Identifier: Apache-2.0 */
/* Derived keys, HMACs and base64url for routing tokens and CSRF tokens. */
#include "selfservice_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int ss_derive_key(const uint8_t master[SS_KEY_LEN], const char *label, uint8_t out[SS_KEY_LEN])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), master, SS_KEY_LEN, (const unsigned char *)label, strlen(label), out,
              &len) ||
        len != SS_KEY_LEN)
        return -1;
    return 0;
}

void ss_b64url(const uint8_t *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    /* URL- and cookie-safe alphabet, no padding: tokens travel in cookies, URLs, .rdp
     * files and the X.224 cookie line unescaped. */
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

int ss_mac_b64(const uint8_t key[SS_KEY_LEN], const void *msg, size_t len, char out[SS_B64_32])
{
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), key, SS_KEY_LEN, msg, len, md, &mdlen) || mdlen != 32)
        return -1;
    ss_b64url(md, sizeof md, out);
    OPENSSL_cleanse(md, sizeof md);
    return 0;
}

int ss_str_eq_ct(const char *want, const char *got)
{
    size_t wl = strlen(want), gl = strnlen(got, wl + 1);
    if (gl != wl)
        return 0;
    return CRYPTO_memcmp(want, got, wl) == 0;
}
