/* SPDX-License-Identifier: Apache-2.0 */
/* Routing tokens: "RAW.EXPIRES.MAC", composed at issue and checked at redemption. */
#include "routing_token.h"
#include "selfservice_crypto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static int is_b64url(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!b64url_char(s[i]))
            return 0;
    return 1;
}

int routing_token_key(const uint8_t master[32], uint8_t key[32])
{
    return ss_derive_key(master, "deskpool routing token v1", key);
}

static int mac_of(const uint8_t key[32], const char *raw, int64_t user_id, int64_t vm_id,
                  int64_t expires, char out[44])
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "v1|%s|%" PRId64 "|%" PRId64 "|%" PRId64, raw, user_id, vm_id,
                     expires);
    if (n < 0 || (size_t)n >= sizeof msg)
        return -1;
    return ss_mac_b64(key, msg, (size_t)n, out);
}

int routing_token_compose(const uint8_t key[32], const char *raw, int64_t user_id, int64_t vm_id,
                          int64_t expires, char *out, size_t cap)
{
    char mac[44];
    if (strlen(raw) != ROUTING_TOKEN_RAW_LEN || !is_b64url(raw, ROUTING_TOKEN_RAW_LEN) ||
        expires <= 0 || mac_of(key, raw, user_id, vm_id, expires, mac) != 0)
        return -1;
    int n = snprintf(out, cap, "%s.%" PRId64 ".%s", raw, expires, mac);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int routing_token_split(const char *text, struct routing_token_parts *out)
{
    const char *d1 = strchr(text, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || d1 - text != ROUTING_TOKEN_RAW_LEN || !is_b64url(text, ROUTING_TOKEN_RAW_LEN))
        return -1;
    size_t elen = (size_t)(d2 - d1 - 1);
    if (elen < 1 || elen > 18 || strspn(d1 + 1, "0123456789") != elen)
        return -1;
    if (strlen(d2 + 1) != 43 || !is_b64url(d2 + 1, 43))
        return -1;
    errno = 0;
    long long e = strtoll(d1 + 1, NULL, 10);
    if (errno || e <= 0)
        return -1;
    memcpy(out->raw, text, ROUTING_TOKEN_RAW_LEN);
    out->raw[ROUTING_TOKEN_RAW_LEN] = '\0';
    out->expires = e;
    memcpy(out->mac, d2 + 1, 44);
    return 0;
}

int routing_token_valid(const uint8_t key[32], const struct routing_token_parts *p, int64_t user_id,
                        int64_t vm_id, int64_t now)
{
    char want[44];
    if (p->expires <= now || mac_of(key, p->raw, user_id, vm_id, p->expires, want) != 0)
        return 0;
    return ss_str_eq_ct(want, p->mac);
}
