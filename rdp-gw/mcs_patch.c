/* SPDX-License-Identifier: Apache-2.0 */
#include "mcs_patch.h"

#include <string.h>

#include "wire.h"

#define WHAT "MCS Connect Initial"

/* A cursor over buf[pos .. end) that refuses to step outside it. */
struct cur {
    const uint8_t *b;
    size_t pos, end;
};

static int need(struct cur *c, size_t n, const char *field, struct dp_err *err)
{
    if (c->end - c->pos < n) {
        dp_err_set(err, WHAT ": %s at offset %zu runs past the end of its container", field,
                   c->pos);
        return -1;
    }
    return 0;
}

static int expect_bytes(struct cur *c, const uint8_t *want, size_t n, const char *field,
                        struct dp_err *err)
{
    if (need(c, n, field, err) < 0)
        return -1;
    if (memcmp(c->b + c->pos, want, n) != 0) {
        dp_err_set(err, WHAT ": %s at offset %zu is not what RDP clients send", field, c->pos);
        return -1;
    }
    c->pos += n;
    return 0;
}

/* BER tag + definite length; returns the content length and leaves pos at the content. */
static int ber_tl(struct cur *c, const uint8_t *tag, size_t tag_len, const char *field, size_t *len,
                  struct dp_err *err)
{
    if (expect_bytes(c, tag, tag_len, field, err) < 0 || need(c, 1, field, err) < 0)
        return -1;
    uint8_t b = c->b[c->pos++];
    size_t v = b;
    if (b & 0x80) {
        size_t n = b & 0x7F;
        if (n == 0 || n > 2) {
            dp_err_set(err, WHAT ": %s has a BER length form 0x%02x the gateway does not accept",
                       field, b);
            return -1;
        }
        if (need(c, n, field, err) < 0)
            return -1;
        v = 0;
        for (size_t i = 0; i < n; i++)
            v = v << 8 | c->b[c->pos++];
    }
    if (v > c->end - c->pos) {
        dp_err_set(err, WHAT ": %s claims %zu bytes, only %zu remain", field, v, c->end - c->pos);
        return -1;
    }
    *len = v;
    return 0;
}

/* Skips one BER element with the given one-byte tag. */
static int ber_skip(struct cur *c, uint8_t tag, const char *field, struct dp_err *err)
{
    size_t n;
    if (ber_tl(c, &tag, 1, field, &n, err) < 0)
        return -1;
    c->pos += n;
    return 0;
}

/* PER length determinant: 0xxxxxxx, or 1xxxxxxx xxxxxxxx read as 15 bits, as FreeRDP and
 * Windows write it (strict PER would call 11xxxxxx fragmentation; a Connect Initial never
 * needs it, and the result is checked against its container either way). */
static int per_len(struct cur *c, const char *field, size_t *len, struct dp_err *err)
{
    if (need(c, 1, field, err) < 0)
        return -1;
    uint8_t b = c->b[c->pos++];
    if (!(b & 0x80)) {
        *len = b;
    } else {
        if (need(c, 1, field, err) < 0)
            return -1;
        *len = (size_t)(b & 0x7F) << 8 | c->b[c->pos++];
    }
    if (*len > c->end - c->pos) {
        dp_err_set(err, WHAT ": %s claims %zu bytes, only %zu remain", field, *len,
                   c->end - c->pos);
        return -1;
    }
    return 0;
}

/* The GCC Conference Create Request up to its user data; leaves c over the blocks. */
static int gcc_to_user_data(struct cur *c, struct dp_err *err)
{
    static const uint8_t t124_key[] = {0x00, 0x05, 0x00, 0x14, 0x7C, 0x00, 0x01};
    static const uint8_t duca[] = {0xC0, 0x00, 'D', 'u', 'c', 'a'};
    size_t n;

    if (expect_bytes(c, t124_key, sizeof t124_key, "the T.124 object identifier", err) < 0 ||
        per_len(c, "the GCC connectPDU length", &n, err) < 0)
        return -1;
    c->end = c->pos + n; /* the rest of the GCC part lives inside connectPDU */
    if (need(c, 3, "the ConnectGCCPDU header", err) < 0)
        return -1;
    if (c->b[c->pos] != 0x00 || c->b[c->pos + 1] != 0x08) {
        dp_err_set(err,
                   WHAT ": ConnectGCCPDU starts %02x %02x, expected 00 08 (a Conference Create "
                        "Request with user data only)",
                   c->b[c->pos], c->b[c->pos + 1]);
        return -1;
    }
    /* conferenceName: NumericString, length byte = characters - 1, two digits per byte. */
    size_t chars = (size_t)c->b[c->pos + 2] + 1;
    c->pos += 3;
    if (need(c, (chars + 1) / 2 + 2, "the conference name", err) < 0)
        return -1;
    c->pos += (chars + 1) / 2;
    c->pos++; /* terminationMethod and padding bits */
    if (c->b[c->pos] != 0x01) {
        dp_err_set(err, WHAT ": GCC user data holds %u sets; RDP clients send exactly 1",
                   c->b[c->pos]);
        return -1;
    }
    c->pos++;
    if (expect_bytes(c, duca, sizeof duca, "the h221NonStandard key \"Duca\"", err) < 0 ||
        per_len(c, "the GCC user data length", &n, err) < 0)
        return -1;
    c->end = c->pos + n;
    return 0;
}

int gw_mcs_patch_connect_initial(uint8_t *buf, size_t len, uint32_t selected_protocol,
                                 struct gw_mcs_patch_report *rep, struct dp_err *err)
{
    static const uint8_t x224_data[] = {0x02, 0xF0, 0x80};
    static const uint8_t ci_tag[] = {0x7F, 0x65};
    size_t n;

    memset(rep, 0, sizeof *rep);
    if (len >= 1 && buf[0] != 0x03) {
        dp_err_set(err,
                   WHAT ": first byte 0x%02x is not TPKT version 3 (fast-path input "
                        "cannot come before the MCS connection)",
                   buf[0]);
        return GW_ERROR;
    }
    if (len < 4)
        return GW_NEED_MORE;
    size_t tl = gw_rd16be(buf + 2);
    if (tl < 7 + 2) {
        dp_err_set(err, WHAT ": TPKT length %zu is too short for X.224 Data and MCS", tl);
        return GW_ERROR;
    }
    if (len < tl)
        return GW_NEED_MORE;

    struct cur c = {buf, 4, tl};
    if (expect_bytes(&c, x224_data, sizeof x224_data, "the X.224 Data header (02 F0 80)", err) <
            0 ||
        ber_tl(&c, ci_tag, sizeof ci_tag, "the Connect-Initial tag (7F 65)", &n, err) < 0)
        return GW_ERROR;
    if (c.pos + n != tl) {
        dp_err_set(err, WHAT ": BER length %zu does not end where the TPKT ends (%zu bytes left)",
                   n, tl - c.pos);
        return GW_ERROR;
    }
    if (ber_skip(&c, 0x04, "callingDomainSelector", err) < 0 ||
        ber_skip(&c, 0x04, "calledDomainSelector", err) < 0 ||
        ber_skip(&c, 0x01, "upwardFlag", err) < 0 ||
        ber_skip(&c, 0x30, "targetParameters", err) < 0 ||
        ber_skip(&c, 0x30, "minimumParameters", err) < 0 ||
        ber_skip(&c, 0x30, "maximumParameters", err) < 0)
        return GW_ERROR;
    uint8_t oct = 0x04;
    if (ber_tl(&c, &oct, 1, "userData", &n, err) < 0)
        return GW_ERROR;
    if (c.pos + n != tl) {
        dp_err_set(err, WHAT ": userData (%zu bytes) does not end where the PDU ends", n);
        return GW_ERROR;
    }
    if (gcc_to_user_data(&c, err) < 0)
        return GW_ERROR;

    /* Walk every block first, patch only once the whole PDU is known to be sound. */
    size_t core = 0, cluster = 0, multi = 0;
    size_t core_len = 0, cluster_len = 0, multi_len = 0;
    while (c.pos < c.end) {
        if (c.end - c.pos < 4) {
            dp_err_set(err, WHAT ": %zu stray bytes after the last user data block at offset %zu",
                       c.end - c.pos, c.pos);
            return GW_ERROR;
        }
        uint16_t type = gw_rd16le(buf + c.pos);
        size_t blen = gw_rd16le(buf + c.pos + 2);
        if (blen < 4 || blen > c.end - c.pos) {
            dp_err_set(err,
                       WHAT ": user data block 0x%04x at offset %zu has length %zu; it must be 4 "
                            "to %zu",
                       type, c.pos, blen, c.end - c.pos);
            return GW_ERROR;
        }
        size_t *at = type == GW_CS_CORE             ? &core
                     : type == GW_CS_CLUSTER        ? &cluster
                     : type == GW_CS_MULTITRANSPORT ? &multi
                                                    : NULL;
        size_t *at_len = type == GW_CS_CORE      ? &core_len
                         : type == GW_CS_CLUSTER ? &cluster_len
                                                 : &multi_len;
        if (at) {
            if (*at) {
                dp_err_set(err, WHAT ": user data block 0x%04x appears twice (offsets %zu and %zu)",
                           type, *at, c.pos);
                return GW_ERROR;
            }
            *at = c.pos;
            *at_len = blen;
        }
        c.pos += blen;
    }
    if (!core) {
        dp_err_set(err, WHAT ": no TS_UD_CS_CORE (0xC001) block; every RDP client sends one");
        return GW_ERROR;
    }
    if ((cluster && cluster_len < 8) || (multi && multi_len < 8)) {
        dp_err_set(err, WHAT ": %s block is %zu bytes, too short to hold its flags",
                   cluster && cluster_len < 8 ? "TS_UD_CS_CLUSTER" : "TS_UD_CS_MULTITRANSPORT",
                   cluster && cluster_len < 8 ? cluster_len : multi_len);
        return GW_ERROR;
    }

    rep->consumed = tl;
    rep->core_offset = core;
    rep->core_len = core_len;
    if (core_len >= GW_CS_CORE_SELECTED_PROTOCOL_OFFSET + 4) {
        uint8_t *p = buf + core + GW_CS_CORE_SELECTED_PROTOCOL_OFFSET;
        rep->selected_protocol_patched = 1;
        rep->old_selected_protocol = gw_rd32le(p);
        gw_wr32le(p, selected_protocol);
    }
    if (multi) {
        rep->multitransport_patched = 1;
        rep->multitransport_offset = multi;
        rep->old_multitransport_flags = gw_rd32le(buf + multi + 4);
        gw_wr32le(buf + multi + 4, 0);
    }
    if (cluster) {
        rep->cluster_patched = 1;
        rep->cluster_offset = cluster;
        rep->old_cluster_flags = gw_rd32le(buf + cluster + 4);
        gw_wr32le(buf + cluster + 4, rep->old_cluster_flags & ~GW_CLUSTER_REDIRECTION_SUPPORTED);
    }
    return GW_OK;
}
