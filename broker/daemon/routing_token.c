/* SPDX-License-Identifier: Apache-2.0 */
/* Routing tokens: "RAW.USER_ID.VM_ID.EXPIRES.MAC", composed at issue, checked at redemption. */
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
        expires <= 0 || user_id <= 0 || vm_id <= 0 ||
        mac_of(key, raw, user_id, vm_id, expires, mac) != 0)
        return -1;
    int n = snprintf(out, cap, "%s.%" PRId64 ".%" PRId64 ".%" PRId64 ".%s", raw, user_id, vm_id,
                     expires, mac);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* A positive decimal number of 1..18 digits at *p, ended by '.'; advances *p past the dot. */
static int number(const char **p, int64_t *out)
{
    size_t n = strspn(*p, "0123456789");
    if (n < 1 || n > 18 || (*p)[n] != '.')
        return -1;
    errno = 0;
    long long v = strtoll(*p, NULL, 10);
    if (errno || v <= 0)
        return -1;
    *out = v;
    *p += n + 1;
    return 0;
}

int routing_token_split(const char *text, struct routing_token_parts *out)
{
    if (strlen(text) >= ROUTING_TOKEN_TEXT_MAX || !is_b64url(text, ROUTING_TOKEN_RAW_LEN) ||
        text[ROUTING_TOKEN_RAW_LEN] != '.')
        return -1;
    const char *p = text + ROUTING_TOKEN_RAW_LEN + 1;
    struct routing_token_parts t;
    if (number(&p, &t.user_id) != 0 || number(&p, &t.vm_id) != 0 || number(&p, &t.expires) != 0)
        return -1;
    if (strlen(p) != 43 || !is_b64url(p, 43))
        return -1;
    memcpy(t.raw, text, ROUTING_TOKEN_RAW_LEN);
    t.raw[ROUTING_TOKEN_RAW_LEN] = '\0';
    memcpy(t.mac, p, 44);
    *out = t;
    return 0;
}

int routing_token_valid(const uint8_t key[32], const struct routing_token_parts *p, int64_t now)
{
    char want[44];
    if (p->expires <= now || mac_of(key, p->raw, p->user_id, p->vm_id, p->expires, want) != 0)
        return 0;
    return ss_str_eq_ct(want, p->mac);
}
