/* SPDX-License-Identifier: Apache-2.0 */
#include "tscred.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define FIELD_MAX 32768u

/* Bytes of a DER TLV header for content of n bytes (n < 2^24). */
static size_t hdr_len(size_t n)
{
    return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

static uint8_t *put_hdr(uint8_t *p, uint8_t tag, size_t n)
{
    *p++ = tag;
    if (n < 0x80) {
        *p++ = (uint8_t)n;
    } else if (n < 0x100) {
        *p++ = 0x81;
        *p++ = (uint8_t)n;
    } else if (n < 0x10000) {
        *p++ = 0x82;
        *p++ = (uint8_t)(n >> 8);
        *p++ = (uint8_t)n;
    } else {
        *p++ = 0x83;
        *p++ = (uint8_t)(n >> 16);
        *p++ = (uint8_t)(n >> 8);
        *p++ = (uint8_t)n;
    }
    return p;
}

/* [tag] { OCTET STRING } */
static size_t tagged_octets_len(size_t n)
{
    size_t inner = hdr_len(n) + n;
    return hdr_len(inner) + inner;
}

static uint8_t *put_tagged_octets(uint8_t *p, uint8_t ctx_tag, const uint8_t *v, size_t n)
{
    p = put_hdr(p, ctx_tag, hdr_len(n) + n);
    p = put_hdr(p, 0x04, n);
    if (n)
        memcpy(p, v, n);
    return p + n;
}

int gw_tscred_encode(const uint8_t *domain, size_t domain_len, const uint8_t *user, size_t user_len,
                     const uint8_t *password, size_t password_len, uint8_t **out, size_t *out_len,
                     struct dp_err *err)
{
    if (domain_len > FIELD_MAX || user_len > FIELD_MAX || password_len > FIELD_MAX) {
        dp_err_set(err, "credential field too long for TSCredentials (limit %u bytes)", FIELD_MAX);
        return -1;
    }
    size_t pw_inner = tagged_octets_len(domain_len) + tagged_octets_len(user_len) +
                      tagged_octets_len(password_len);
    size_t pw_seq = hdr_len(pw_inner) + pw_inner; /* TSPasswordCreds */
    size_t cred_type = 2 + 3;                     /* [0] { INTEGER 1 } */
    size_t creds = tagged_octets_len(pw_seq);     /* [1] { OCTET STRING { ... } } */
    size_t inner = cred_type + creds;
    size_t total = hdr_len(inner) + inner;

    uint8_t *buf = malloc(total);
    if (!buf) {
        dp_err_set(err, "out of memory encoding TSCredentials");
        return -1;
    }
    uint8_t *p = put_hdr(buf, 0x30, inner);
    p = put_hdr(p, 0xA0, 3);
    *p++ = 0x02;
    *p++ = 0x01;
    *p++ = 0x01;
    p = put_hdr(p, 0xA1, hdr_len(pw_seq) + pw_seq);
    p = put_hdr(p, 0x04, pw_seq);
    p = put_hdr(p, 0x30, pw_inner);
    p = put_tagged_octets(p, 0xA0, domain, domain_len);
    p = put_tagged_octets(p, 0xA1, user, user_len);
    p = put_tagged_octets(p, 0xA2, password, password_len);
    *out = buf;
    *out_len = (size_t)(p - buf);
    return 0;
}
