/* SPDX-License-Identifier: Apache-2.0 */
#include "tsrequest.h"

#include <string.h>

#define DER_INTEGER 0x02u
#define DER_OCTET_STRING 0x04u
#define DER_SEQUENCE 0x30u
#define DER_CTX(n) (0xA0u | (n)) /* context-specific, constructed: explicit [n] */

/* One DER element: tag, where its contents start and how long they are. */
struct tlv {
    uint8_t tag;
    size_t hdr; /* tag + length bytes */
    size_t len; /* contents */
};

/*
 * Reads a tag and a definite length from p[0 .. avail). Single-byte tags only (CredSSP
 * uses nothing else); long-form lengths of up to 4 bytes, non-minimal ones tolerated
 * because some encoders always use 0x82. GW_NEED_MORE when the header is cut short.
 */
static int tlv_read(const uint8_t *p, size_t avail, struct tlv *t, struct dp_err *err,
                    const char *what)
{
    if (avail < 2)
        return GW_NEED_MORE;
    t->tag = p[0];
    if ((t->tag & 0x1F) == 0x1F) {
        dp_err_set(err, "TSRequest: %s has a multi-byte tag 0x%02x; CredSSP uses none", what,
                   t->tag);
        return GW_ERROR;
    }
    if (p[1] < 0x80) {
        t->hdr = 2;
        t->len = p[1];
        return GW_OK;
    }
    size_t n = p[1] & 0x7F;
    if (n == 0) {
        dp_err_set(err, "TSRequest: %s uses an indefinite length, which DER forbids", what);
        return GW_ERROR;
    }
    if (n > 4) {
        dp_err_set(err, "TSRequest: %s has a %zu-byte length field; at most 4 are accepted", what,
                   n);
        return GW_ERROR;
    }
    if (avail < 2 + n)
        return GW_NEED_MORE;
    size_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[2 + i];
    t->hdr = 2 + n;
    t->len = v;
    return GW_OK;
}

/*
 * Reads one element that must lie entirely within p[0 .. avail) and carry `tag`: inside a
 * complete TSRequest, a short element is a lie about a length, never a reason to wait.
 */
static int tlv_expect(const uint8_t *p, size_t avail, uint8_t tag, struct tlv *t,
                      struct dp_err *err, const char *what)
{
    int rc = tlv_read(p, avail, t, err, what);
    if (rc == GW_ERROR)
        return -1;
    if (rc == GW_NEED_MORE || t->len > avail - t->hdr) {
        dp_err_set(err, "TSRequest: %s is longer than the structure that holds it", what);
        return -1;
    }
    if (t->tag != tag) {
        dp_err_set(err, "TSRequest: %s has tag 0x%02x, expected 0x%02x", what, t->tag, tag);
        return -1;
    }
    return 0;
}

/* An explicit [n] must hold exactly one element: reads it and checks that it fills [n]. */
static int inner_exact(const uint8_t *p, size_t avail, uint8_t tag, struct tlv *t,
                       struct dp_err *err, const char *what)
{
    if (tlv_expect(p, avail, tag, t, err, what) < 0)
        return -1;
    if (t->hdr + t->len != avail) {
        dp_err_set(err, "TSRequest: %zu stray bytes after %s", avail - t->hdr - t->len, what);
        return -1;
    }
    return 0;
}

/* INTEGER contents as the low 32 bits of its two's complement value. */
static int int_value(const uint8_t *p, size_t len, int64_t *v, struct dp_err *err, const char *what)
{
    if (len == 0 || len > 5 || (len == 5 && p[0] != 0)) {
        dp_err_set(err, "TSRequest: %s is a %zu-byte INTEGER; expected a 32-bit value", what, len);
        return -1;
    }
    int64_t x = (p[0] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < len; i++)
        x = (int64_t)((uint64_t)x << 8 | p[i]);
    *v = x;
    return 0;
}

int gw_tsrequest_frame_len(const uint8_t *buf, size_t len, size_t *total, struct dp_err *err)
{
    struct tlv t;

    *total = 0;
    if (len >= 1 && buf[0] != DER_SEQUENCE) {
        dp_err_set(err,
                   "TSRequest: first byte 0x%02x is not a DER SEQUENCE (0x30); the peer is not "
                   "speaking CredSSP (does it expect NLA?)",
                   buf[0]);
        return GW_ERROR;
    }
    int rc = tlv_read(buf, len, &t, err, "the outer SEQUENCE");
    if (rc != GW_OK)
        return rc;
    if (t.len > GW_TSREQUEST_MAX - t.hdr) {
        dp_err_set(err, "TSRequest: %zu bytes announced, over the %u the gateway accepts", t.len,
                   GW_TSREQUEST_MAX);
        return GW_ERROR;
    }
    *total = t.hdr + t.len;
    return GW_OK;
}

/* negoTokens: SEQUENCE OF SEQUENCE { [0] OCTET STRING }; keeps the first token. */
static int decode_nego(const uint8_t *p, size_t len, struct gw_tsrequest *out, struct dp_err *err)
{
    struct tlv seq, item, ctx, oct;

    if (inner_exact(p, len, DER_SEQUENCE, &seq, err, "negoTokens") < 0)
        return -1;
    size_t pos = seq.hdr, end = seq.hdr + seq.len;
    if (pos == end) {
        dp_err_set(err, "TSRequest: negoTokens holds no NegoData; leave the field out instead");
        return -1;
    }
    while (pos < end) {
        if (tlv_expect(p + pos, end - pos, DER_SEQUENCE, &item, err, "a NegoData") < 0)
            return -1;
        const uint8_t *q = p + pos + item.hdr;
        if (inner_exact(q, item.len, DER_CTX(0), &ctx, err, "a NegoData's [0]") < 0)
            return -1;
        if (inner_exact(q + ctx.hdr, ctx.len, DER_OCTET_STRING, &oct, err, "a negoToken") < 0)
            return -1;
        if (out->nego_token_count++ == 0) {
            out->nego_token = q + ctx.hdr + oct.hdr;
            out->nego_token_len = oct.len;
        }
        pos += item.hdr + item.len;
    }
    return 0;
}

static int decode_octets(const uint8_t *p, size_t len, const uint8_t **data, size_t *dlen,
                         struct dp_err *err, const char *what)
{
    struct tlv oct;
    if (inner_exact(p, len, DER_OCTET_STRING, &oct, err, what) < 0)
        return -1;
    *data = p + oct.hdr;
    *dlen = oct.len;
    return 0;
}

static int decode_int(const uint8_t *p, size_t len, int64_t *v, struct dp_err *err,
                      const char *what)
{
    struct tlv in;
    if (inner_exact(p, len, DER_INTEGER, &in, err, what) < 0)
        return -1;
    return int_value(p + in.hdr, in.len, v, err, what);
}

int gw_tsrequest_decode(const uint8_t *buf, size_t len, struct gw_tsrequest *out, size_t *consumed,
                        struct dp_err *err)
{
    static const char *const names[] = {"version [0]",    "negoTokens [1]", "authInfo [2]",
                                        "pubKeyAuth [3]", "errorCode [4]",  "clientNonce [5]"};
    size_t total = 0;

    *consumed = 0;
    memset(out, 0, sizeof *out);
    int rc = gw_tsrequest_frame_len(buf, len, &total, err);
    if (rc != GW_OK)
        return rc;
    if (len < total)
        return GW_NEED_MORE;

    struct tlv outer;
    tlv_read(buf, total, &outer, err, "the outer SEQUENCE"); /* checked by frame_len */
    size_t pos = outer.hdr;
    int last = -1;
    while (pos < total) {
        struct tlv f;
        if (tlv_expect(buf + pos, total - pos, buf[pos], &f, err, "a field") < 0)
            goto fail;
        int n = f.tag - DER_CTX(0);
        if (f.tag < DER_CTX(0) || n > 5) {
            dp_err_set(err,
                       "TSRequest: field with tag 0x%02x at offset %zu is none of [0]..[5] "
                       "(MS-CSSP up to version 6)",
                       f.tag, pos);
            goto fail;
        }
        if (n <= last) {
            dp_err_set(err, "TSRequest: %s at offset %zu comes after %s; DER wants tag order",
                       names[n], pos, names[last]);
            goto fail;
        }
        last = n;
        const uint8_t *c = buf + pos + f.hdr;
        int64_t v = 0;
        switch (n) {
        case 0:
            if (decode_int(c, f.len, &v, err, names[n]) < 0)
                goto fail;
            if (v < 0) {
                dp_err_set(err, "TSRequest: version %lld is negative", (long long)v);
                goto fail;
            }
            out->version = (uint32_t)v;
            break;
        case 1:
            if (decode_nego(c, f.len, out, err) < 0)
                goto fail;
            break;
        case 2:
            if (decode_octets(c, f.len, &out->auth_info, &out->auth_info_len, err, names[n]) < 0)
                goto fail;
            break;
        case 3:
            if (decode_octets(c, f.len, &out->pub_key_auth, &out->pub_key_auth_len, err, names[n]) <
                0)
                goto fail;
            break;
        case 4:
            if (decode_int(c, f.len, &v, err, names[n]) < 0)
                goto fail;
            out->has_error_code = 1;
            out->error_code = (uint32_t)v;
            break;
        case 5:
            if (decode_octets(c, f.len, &out->client_nonce, &out->client_nonce_len, err, names[n]) <
                0)
                goto fail;
            if (out->client_nonce_len != GW_TSREQUEST_NONCE_SIZE) {
                dp_err_set(err, "TSRequest: clientNonce is %zu bytes; MS-CSSP says 32",
                           out->client_nonce_len);
                goto fail;
            }
            break;
        }
        pos += f.hdr + f.len;
    }
    if (last < 0 || buf[outer.hdr] != DER_CTX(0)) {
        dp_err_set(err, "TSRequest: the required version [0] is missing");
        goto fail;
    }
    *consumed = total;
    return GW_OK;
fail:
    memset(out, 0, sizeof *out);
    return GW_ERROR;
}

/* --- encoding --- */

static size_t len_size(size_t n)
{
    return n < 0x80 ? 1 : n <= 0xFF ? 2 : n <= 0xFFFF ? 3 : n <= 0xFFFFFF ? 4 : 5;
}

static size_t tlv_size(size_t content)
{
    return 1 + len_size(content) + content;
}

/* Minimal two's complement big-endian bytes of v; returns how many (1..5). */
static size_t int_bytes(int64_t v, uint8_t out[8])
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    size_t skip = 0;
    /* Drop a leading byte while the next one carries the same sign. */
    while (skip < 7 && ((be[skip] == 0x00 && !(be[skip + 1] & 0x80)) ||
                        (be[skip] == 0xFF && (be[skip + 1] & 0x80))))
        skip++;
    memcpy(out, be + skip, 8 - skip);
    return 8 - skip;
}

struct sizes {
    size_t version, nego_oct, nego_ctx0, nego_item, nego_seq, nego, auth, pub, errc, nonce;
    size_t body;
};

/* Content sizes of every element, from the inside out; 0 in body means "cannot encode". */
static void compute(const struct gw_tsrequest *r, struct sizes *s)
{
    uint8_t tmp[8];
    memset(s, 0, sizeof *s);
    if ((r->nego_token && r->nego_token_len > GW_TSREQUEST_MAX) ||
        (r->auth_info && r->auth_info_len > GW_TSREQUEST_MAX) ||
        (r->pub_key_auth && r->pub_key_auth_len > GW_TSREQUEST_MAX) ||
        (r->client_nonce && r->client_nonce_len > GW_TSREQUEST_MAX))
        return;
    s->version = tlv_size(int_bytes((int64_t)r->version, tmp));
    if (r->nego_token) {
        s->nego_oct = r->nego_token_len;
        s->nego_ctx0 = tlv_size(s->nego_oct);
        s->nego_item = tlv_size(s->nego_ctx0);
        s->nego_seq = tlv_size(s->nego_item);
        s->nego = tlv_size(s->nego_seq);
    }
    if (r->auth_info)
        s->auth = tlv_size(r->auth_info_len);
    if (r->pub_key_auth)
        s->pub = tlv_size(r->pub_key_auth_len);
    if (r->has_error_code)
        s->errc = tlv_size(int_bytes((int32_t)r->error_code, tmp));
    if (r->client_nonce)
        s->nonce = tlv_size(r->client_nonce_len);
    s->body = tlv_size(s->version);
    if (r->nego_token)
        s->body += tlv_size(s->nego);
    if (r->auth_info)
        s->body += tlv_size(s->auth);
    if (r->pub_key_auth)
        s->body += tlv_size(s->pub);
    if (r->has_error_code)
        s->body += tlv_size(s->errc);
    if (r->client_nonce)
        s->body += tlv_size(s->nonce);
    if (tlv_size(s->body) > GW_TSREQUEST_MAX)
        s->body = 0;
}

size_t gw_tsrequest_encoded_len(const struct gw_tsrequest *req)
{
    struct sizes s;
    compute(req, &s);
    return s.body ? tlv_size(s.body) : 0;
}

static uint8_t *put_hdr(uint8_t *p, uint8_t tag, size_t len)
{
    *p++ = tag;
    size_t n = len_size(len) - 1;
    if (n == 0) {
        *p++ = (uint8_t)len;
        return p;
    }
    *p++ = (uint8_t)(0x80 | n);
    for (size_t i = n; i > 0; i--)
        *p++ = (uint8_t)(len >> (8 * (i - 1)));
    return p;
}

static uint8_t *put_int(uint8_t *p, int64_t v)
{
    uint8_t b[8];
    size_t n = int_bytes(v, b);
    p = put_hdr(p, DER_INTEGER, n);
    memcpy(p, b, n);
    return p + n;
}

static uint8_t *put_octets(uint8_t *p, const uint8_t *data, size_t len)
{
    p = put_hdr(p, DER_OCTET_STRING, len);
    if (len)
        memcpy(p, data, len);
    return p + len;
}

int gw_tsrequest_encode(const struct gw_tsrequest *req, uint8_t *buf, size_t cap,
                        struct dp_err *err)
{
    struct sizes s;
    compute(req, &s);
    if (!s.body) {
        dp_err_set(err, "TSRequest encoder: the request would exceed %u bytes", GW_TSREQUEST_MAX);
        return -1;
    }
    size_t total = tlv_size(s.body);
    if (total > cap) {
        dp_err_set(err, "TSRequest encoder: needs %zu bytes, buffer has %zu", total, cap);
        return -1;
    }
    uint8_t *p = put_hdr(buf, DER_SEQUENCE, s.body);
    p = put_hdr(p, DER_CTX(0), s.version);
    p = put_int(p, (int64_t)req->version);
    if (req->nego_token) {
        p = put_hdr(p, DER_CTX(1), s.nego);
        p = put_hdr(p, DER_SEQUENCE, s.nego_seq);
        p = put_hdr(p, DER_SEQUENCE, s.nego_item);
        p = put_hdr(p, DER_CTX(0), s.nego_ctx0);
        p = put_octets(p, req->nego_token, req->nego_token_len);
    }
    if (req->auth_info) {
        p = put_hdr(p, DER_CTX(2), s.auth);
        p = put_octets(p, req->auth_info, req->auth_info_len);
    }
    if (req->pub_key_auth) {
        p = put_hdr(p, DER_CTX(3), s.pub);
        p = put_octets(p, req->pub_key_auth, req->pub_key_auth_len);
    }
    if (req->has_error_code) {
        p = put_hdr(p, DER_CTX(4), s.errc);
        p = put_int(p, (int32_t)req->error_code);
    }
    if (req->client_nonce) {
        p = put_hdr(p, DER_CTX(5), s.nonce);
        p = put_octets(p, req->client_nonce, req->client_nonce_len);
    }
    return (int)(p - buf);
}
