/* SPDX-License-Identifier: Apache-2.0 */
#include "x224.h"

#include <string.h>

#include "wire.h"

#define TPKT_HEADER 4u
#define X224_FIXED 7u /* LI, code, DST-REF, SRC-REF, class option */
#define X224_CODE_CR 0xE0u
#define X224_CODE_CC 0xD0u
#define NEG_TYPE_REQ 0x01u
#define NEG_TYPE_RSP 0x02u
#define NEG_TYPE_FAILURE 0x03u
#define NEG_SIZE 8u
#define CORRELATION_TYPE 0x06u
#define CORRELATION_SIZE 36u

static const char COOKIE_USER[] = "Cookie: mstshash=";
static const char COOKIE_TOKEN[] = "Cookie: msts=";

/* Names what a wrong first byte most likely is, so a log line tells the operator why. */
static const char *first_byte_hint(uint8_t b)
{
    if (b == 0x16)
        return "a TLS handshake: the client connected with TLS first (not an RDP client, or "
               "an RDP client behind a TLS-terminating proxy)";
    if (b >= 'A' && b <= 'Z')
        return "text, probably HTTP: point web traffic at the web port, not the RDP port";
    return "not RDP";
}

/*
 * Checks the TPKT and X.224 fixed header of a CR or CC against what is available of it,
 * and gives the TPKT length. Checking fields as they arrive refuses garbage after a few
 * bytes instead of waiting for a length that a non-RDP peer never meant.
 */
static int tpdu_header(const uint8_t *buf, size_t len, uint8_t code, const char *what,
                       size_t *tpkt_len, struct dp_err *err)
{
    if (len >= 1 && buf[0] != 0x03) {
        dp_err_set(err, "%s: first byte 0x%02x is not TPKT version 3: %s", what, buf[0],
                   first_byte_hint(buf[0]));
        return GW_ERROR;
    }
    if (len >= 2 && buf[1] != 0x00) {
        dp_err_set(err, "%s: TPKT reserved byte is 0x%02x, not 0: not an RDP TPKT", what, buf[1]);
        return GW_ERROR;
    }
    if (len < TPKT_HEADER)
        return GW_NEED_MORE;
    size_t tl = gw_rd16be(buf + 2);
    if (tl < TPKT_HEADER + X224_FIXED) {
        dp_err_set(err, "%s: TPKT length %zu is shorter than the 11-byte TPKT + X.224 header", what,
                   tl);
        return GW_ERROR;
    }
    if (tl > GW_X224_CR_MAX) {
        dp_err_set(err,
                   "%s: TPKT length %zu is over %u, more than an X.224 length indicator can "
                   "describe",
                   what, tl, GW_X224_CR_MAX);
        return GW_ERROR;
    }
    if (len >= 5 && buf[4] != tl - 5) {
        dp_err_set(err,
                   "%s: X.224 length indicator %u does not match the TPKT length %zu (expected "
                   "%zu)",
                   what, buf[4], tl, tl - 5);
        return GW_ERROR;
    }
    if (len >= 6 && buf[5] != code) {
        dp_err_set(err, "%s: X.224 TPDU code is 0x%02x, expected 0x%02x", what, buf[5], code);
        return GW_ERROR;
    }
    if (len >= 11 && (buf[10] & 0xF0) != 0) {
        dp_err_set(err, "%s: X.224 class option 0x%02x asks for class %u; RDP uses class 0", what,
                   buf[10], buf[10] >> 4);
        return GW_ERROR;
    }
    if (len < tl)
        return GW_NEED_MORE;
    *tpkt_len = tl;
    return GW_OK;
}

/* Parses the CRLF-terminated line at buf[*pos .. end) into *out. */
static int parse_line(const uint8_t *buf, size_t *pos, size_t end, struct gw_x224_cr *out,
                      struct dp_err *err)
{
    size_t start = *pos, i = start;

    for (;; i++) {
        if (i >= end) {
            dp_err_set(err,
                       "X.224 Connection Request: the cookie/load-balance line (%zu bytes from "
                       "offset %zu) has no CRLF before the end of the request",
                       end - start, start);
            return GW_ERROR;
        }
        if (buf[i] == '\r')
            break;
        if (buf[i] < 0x20 || buf[i] == 0x7F) {
            dp_err_set(err,
                       "X.224 Connection Request: the cookie/load-balance line holds control "
                       "byte 0x%02x at offset %zu; it must be printable text ending in CRLF",
                       buf[i], i);
            return GW_ERROR;
        }
    }
    if (i + 1 >= end || buf[i + 1] != '\n') {
        dp_err_set(err,
                   "X.224 Connection Request: CR at offset %zu in the cookie/load-balance line "
                   "is not followed by LF",
                   i);
        return GW_ERROR;
    }
    const char *line = (const char *)buf + start;
    size_t n = i - start, skip = 0;
    if (n >= sizeof COOKIE_USER - 1 && memcmp(line, COOKIE_USER, sizeof COOKIE_USER - 1) == 0) {
        out->line_kind = GW_X224_LINE_USER;
        skip = sizeof COOKIE_USER - 1;
    } else if (n >= sizeof COOKIE_TOKEN - 1 &&
               memcmp(line, COOKIE_TOKEN, sizeof COOKIE_TOKEN - 1) == 0) {
        out->line_kind = GW_X224_LINE_ROUTING_TOKEN;
        skip = sizeof COOKIE_TOKEN - 1;
    } else {
        out->line_kind = GW_X224_LINE_LB_INFO;
    }
    /* n <= LI - 6 - 2 = GW_X224_LINE_MAX by construction; check anyway, it is cheap. */
    if (n - skip > GW_X224_LINE_MAX) {
        dp_err_set(err, "X.224 Connection Request: cookie line of %zu bytes is too long", n);
        return GW_ERROR;
    }
    memcpy(out->value, line + skip, n - skip);
    out->value[n - skip] = '\0';
    out->value_len = n - skip;
    *pos = i + 2;
    return GW_OK;
}

int gw_x224_cr_parse(const uint8_t *buf, size_t len, struct gw_x224_cr *out, size_t *consumed,
                     struct dp_err *err)
{
    const char *what = "X.224 Connection Request";
    size_t end = 0;

    *consumed = 0;
    memset(out, 0, sizeof *out);
    int rc = tpdu_header(buf, len, X224_CODE_CR, what, &end, err);
    if (rc != GW_OK)
        return rc;
    if (gw_rd16be(buf + 6) != 0) {
        dp_err_set(err, "%s: DST-REF is 0x%04x; a request must send 0", what, gw_rd16be(buf + 6));
        return GW_ERROR;
    }
    if (buf[10] != 0) {
        /* Class 0 has no options; every client sends 0, and a rebuilt request must say the
         * same as the client's. */
        dp_err_set(err, "%s: X.224 class option is 0x%02x; class 0 requests carry 0", what,
                   buf[10]);
        return GW_ERROR;
    }
    out->src_ref = gw_rd16be(buf + 8);

    size_t pos = TPKT_HEADER + X224_FIXED;
    /* Like every RDP server, tell the line from RDP_NEG_REQ by the type byte: a line is
     * text, so it cannot start with 0x01. */
    if (pos < end && buf[pos] != NEG_TYPE_REQ) {
        rc = parse_line(buf, &pos, end, out, err);
        if (rc != GW_OK)
            goto fail;
    }
    if (pos < end) {
        if (buf[pos] != NEG_TYPE_REQ) {
            dp_err_set(err,
                       "%s: byte 0x%02x at offset %zu after the cookie line; expected "
                       "RDP_NEG_REQ (type 0x01)",
                       what, buf[pos], pos);
            goto fail;
        }
        if (end - pos < NEG_SIZE || gw_rd16le(buf + pos + 2) != NEG_SIZE) {
            dp_err_set(err, "%s: RDP_NEG_REQ at offset %zu is not 8 bytes long", what, pos);
            goto fail;
        }
        out->has_neg_req = 1;
        out->neg_flags = buf[pos + 1];
        out->requested_protocols = gw_rd32le(buf + pos + 4);
        pos += NEG_SIZE;
    }
    if (pos < end) {
        if (buf[pos] != CORRELATION_TYPE || end - pos < CORRELATION_SIZE || buf[pos + 1] != 0 ||
            gw_rd16le(buf + pos + 2) != CORRELATION_SIZE) {
            dp_err_set(err,
                       "%s: %zu unexpected bytes after RDP_NEG_REQ (offset %zu, type 0x%02x); "
                       "only a 36-byte RDP_CORRELATION_INFO (06 00 24 00) may follow it",
                       what, end - pos, pos, buf[pos]);
            goto fail;
        }
        out->has_correlation = 1;
        memcpy(out->correlation_id, buf + pos + 4, sizeof out->correlation_id);
        pos += CORRELATION_SIZE;
    }
    if (pos < end) {
        dp_err_set(err, "%s: %zu unexpected bytes after RDP_CORRELATION_INFO at offset %zu", what,
                   end - pos, pos);
        goto fail;
    }
    if (out->has_correlation && !(out->neg_flags & GW_NEG_CORRELATION_INFO_PRESENT)) {
        dp_err_set(err,
                   "%s: RDP_CORRELATION_INFO follows an RDP_NEG_REQ whose flags lack "
                   "CORRELATION_INFO_PRESENT (0x08)",
                   what);
        goto fail;
    }
    if ((out->neg_flags & GW_NEG_CORRELATION_INFO_PRESENT) && !out->has_correlation) {
        dp_err_set(err,
                   "%s: RDP_NEG_REQ flags say CORRELATION_INFO_PRESENT but no "
                   "RDP_CORRELATION_INFO follows",
                   what);
        goto fail;
    }
    *consumed = end;
    return GW_OK;
fail:
    memset(out, 0, sizeof *out);
    return GW_ERROR;
}

int gw_x224_cr_build(const struct gw_x224_cr *cr, uint8_t *buf, size_t cap, struct dp_err *err)
{
    const char *prefix = "";
    size_t vlen = strnlen(cr->value, sizeof cr->value);

    switch (cr->line_kind) {
    case GW_X224_LINE_NONE:
        vlen = 0;
        break;
    case GW_X224_LINE_USER:
        prefix = COOKIE_USER;
        break;
    case GW_X224_LINE_ROUTING_TOKEN:
        prefix = COOKIE_TOKEN;
        break;
    case GW_X224_LINE_LB_INFO:
        break;
    default:
        dp_err_set(err, "X.224 Connection Request builder: unknown line kind %d",
                   (int)cr->line_kind);
        return -1;
    }
    for (size_t i = 0; i < vlen; i++) {
        uint8_t c = (uint8_t)cr->value[i];
        if (c < 0x20 || c == 0x7F) {
            dp_err_set(err,
                       "X.224 Connection Request builder: cookie value holds control byte "
                       "0x%02x at %zu; RDP cookies are one line of text",
                       c, i);
            return -1;
        }
    }
    if (cr->has_correlation && !cr->has_neg_req) {
        dp_err_set(err, "X.224 Connection Request builder: RDP_CORRELATION_INFO needs an "
                        "RDP_NEG_REQ before it");
        return -1;
    }
    if ((cr->neg_flags & GW_NEG_CORRELATION_INFO_PRESENT) && !cr->has_correlation) {
        dp_err_set(err, "X.224 Connection Request builder: CORRELATION_INFO_PRESENT is set but "
                        "no correlation id was given");
        return -1;
    }
    size_t plen = strlen(prefix);
    size_t line = cr->line_kind == GW_X224_LINE_NONE ? 0 : plen + vlen + 2;
    size_t total = TPKT_HEADER + X224_FIXED + line + (cr->has_neg_req ? NEG_SIZE : 0) +
                   (cr->has_correlation ? CORRELATION_SIZE : 0);
    if (total > GW_X224_CR_MAX) {
        dp_err_set(err,
                   "X.224 Connection Request builder: a %zu-byte cookie makes the request %zu "
                   "bytes, over the %u an X.224 header can describe",
                   vlen, total, GW_X224_CR_MAX);
        return -1;
    }
    if (total > cap) {
        dp_err_set(err, "X.224 Connection Request builder: needs %zu bytes, buffer has %zu", total,
                   cap);
        return -1;
    }
    buf[0] = 0x03;
    buf[1] = 0x00;
    gw_wr16be(buf + 2, (uint16_t)total);
    buf[4] = (uint8_t)(total - 5);
    buf[5] = X224_CODE_CR;
    gw_wr16be(buf + 6, 0);
    gw_wr16be(buf + 8, cr->src_ref);
    buf[10] = 0;
    size_t pos = TPKT_HEADER + X224_FIXED;
    if (line) {
        memcpy(buf + pos, prefix, plen);
        memcpy(buf + pos + plen, cr->value, vlen);
        buf[pos + plen + vlen] = '\r';
        buf[pos + plen + vlen + 1] = '\n';
        pos += line;
    }
    if (cr->has_neg_req) {
        buf[pos] = NEG_TYPE_REQ;
        buf[pos + 1] =
            (uint8_t)(cr->neg_flags | (cr->has_correlation ? GW_NEG_CORRELATION_INFO_PRESENT : 0));
        gw_wr16le(buf + pos + 2, NEG_SIZE);
        gw_wr32le(buf + pos + 4, cr->requested_protocols);
        pos += NEG_SIZE;
    }
    if (cr->has_correlation) {
        buf[pos] = CORRELATION_TYPE;
        buf[pos + 1] = 0;
        gw_wr16le(buf + pos + 2, CORRELATION_SIZE);
        memcpy(buf + pos + 4, cr->correlation_id, 16);
        memset(buf + pos + 20, 0, 16);
        pos += CORRELATION_SIZE;
    }
    return (int)pos;
}

int gw_x224_cc_build(const struct gw_x224_cc *cc, uint8_t *buf, size_t cap, struct dp_err *err)
{
    size_t total;

    if (cc->kind == GW_X224_CC_PLAIN) {
        total = GW_X224_CC_PLAIN_SIZE;
    } else if (cc->kind == GW_X224_CC_NEG_RSP || cc->kind == GW_X224_CC_NEG_FAILURE) {
        total = GW_X224_CC_NEG_SIZE;
    } else {
        dp_err_set(err, "X.224 Connection Confirm builder: unknown kind %d", (int)cc->kind);
        return -1;
    }
    if (cap < total) {
        dp_err_set(err, "X.224 Connection Confirm builder: needs %zu bytes, buffer has %zu", total,
                   cap);
        return -1;
    }
    buf[0] = 0x03;
    buf[1] = 0x00;
    gw_wr16be(buf + 2, (uint16_t)total);
    buf[4] = (uint8_t)(total - 5);
    buf[5] = X224_CODE_CC;
    gw_wr16be(buf + 6, 0);
    gw_wr16be(buf + 8, 0x1234); /* SRC-REF: the value Windows and FreeRDP servers send */
    buf[10] = 0;
    if (cc->kind == GW_X224_CC_NEG_RSP) {
        buf[11] = NEG_TYPE_RSP;
        buf[12] = cc->flags;
        gw_wr16le(buf + 13, NEG_SIZE);
        gw_wr32le(buf + 15, cc->selected_protocol);
    } else if (cc->kind == GW_X224_CC_NEG_FAILURE) {
        buf[11] = NEG_TYPE_FAILURE;
        buf[12] = 0;
        gw_wr16le(buf + 13, NEG_SIZE);
        gw_wr32le(buf + 15, cc->failure_code);
    }
    return (int)total;
}

int gw_x224_cc_parse(const uint8_t *buf, size_t len, struct gw_x224_cc *out, size_t *consumed,
                     struct dp_err *err)
{
    const char *what = "X.224 Connection Confirm";
    size_t end = 0;

    *consumed = 0;
    memset(out, 0, sizeof *out);
    int rc = tpdu_header(buf, len, X224_CODE_CC, what, &end, err);
    if (rc != GW_OK)
        return rc;
    size_t pos = TPKT_HEADER + X224_FIXED;
    if (pos == end) {
        out->kind = GW_X224_CC_PLAIN;
        *consumed = end;
        return GW_OK;
    }
    if (end - pos != NEG_SIZE || gw_rd16le(buf + pos + 2) != NEG_SIZE) {
        dp_err_set(err,
                   "%s: %zu bytes of negotiation data (type 0x%02x); expected one 8-byte "
                   "RDP_NEG_RSP or RDP_NEG_FAILURE",
                   what, end - pos, buf[pos]);
        return GW_ERROR;
    }
    if (buf[pos] == NEG_TYPE_RSP) {
        out->kind = GW_X224_CC_NEG_RSP;
        out->flags = buf[pos + 1];
        out->selected_protocol = gw_rd32le(buf + pos + 4);
    } else if (buf[pos] == NEG_TYPE_FAILURE) {
        out->kind = GW_X224_CC_NEG_FAILURE;
        out->failure_code = gw_rd32le(buf + pos + 4);
    } else {
        dp_err_set(err,
                   "%s: negotiation type 0x%02x is neither RDP_NEG_RSP (0x02) nor "
                   "RDP_NEG_FAILURE (0x03)",
                   what, buf[pos]);
        return GW_ERROR;
    }
    *consumed = end;
    return GW_OK;
}
