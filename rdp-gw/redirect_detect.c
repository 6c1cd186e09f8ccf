/* SPDX-License-Identifier: Apache-2.0 */
#include "redirect_detect.h"

#include <string.h>

#include "wire.h"

#define MCS_SDIN 26u
#define PDUTYPE_SERVER_REDIR_PKT 0x0Au
#define FLOW_MARKER 0x8000u
#define FLOW_PDU_SIZE 8u

/* Fast-path output: action 0 in the low two bits, then a 1- or 2-byte length. */
static int fastpath(const uint8_t *buf, size_t len, struct gw_s2c_pdu *out, struct dp_err *err)
{
    if (len < 2)
        return GW_NEED_MORE;
    size_t total = buf[1], hdr = 2;
    if (buf[1] & 0x80) {
        if (len < 3)
            return GW_NEED_MORE;
        total = (size_t)(buf[1] & 0x7F) << 8 | buf[2];
        hdr = 3;
    }
    if (total < hdr) {
        dp_err_set(err, "server PDU: fast-path length %zu is shorter than its own header", total);
        return GW_ERROR;
    }
    if (len < total)
        return GW_NEED_MORE;
    out->len = total;
    out->fastpath = 1;
    return GW_OK;
}

/* Walks the share control headers of I/O channel data; 1 when one is a redirection. */
static int has_redirect(const uint8_t *p, size_t n, size_t base, size_t *at)
{
    size_t pos = 0;
    while (n - pos >= 4) {
        size_t total = gw_rd16le(p + pos);
        if (total == FLOW_MARKER) {
            pos += FLOW_PDU_SIZE;
            if (pos > n)
                return 0;
            continue;
        }
        if ((gw_rd16le(p + pos + 2) & 0x0F) == PDUTYPE_SERVER_REDIR_PKT) {
            *at = base + pos;
            return 1;
        }
        if (total < 4 || total > n - pos)
            return 0;
        pos += total;
    }
    return 0;
}

int gw_redirect_detect(const uint8_t *buf, size_t len, uint16_t io_channel, struct gw_s2c_pdu *out,
                       struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return GW_NEED_MORE;
    if ((buf[0] & 0x03) == 0)
        return fastpath(buf, len, out, err);
    if (buf[0] != 0x03) {
        dp_err_set(err,
                   "server PDU: first byte 0x%02x is neither TPKT (0x03) nor a fast-path "
                   "header (action 0); the relay lost its place in the stream",
                   buf[0]);
        return GW_ERROR;
    }
    if (len < 4)
        return GW_NEED_MORE;
    if (buf[1] != 0) {
        dp_err_set(err, "server PDU: TPKT reserved byte is 0x%02x, not 0", buf[1]);
        return GW_ERROR;
    }
    size_t tl = gw_rd16be(buf + 2);
    if (tl < 7) {
        dp_err_set(err, "server PDU: TPKT length %zu is shorter than TPKT + X.224 Data (7)", tl);
        return GW_ERROR;
    }
    if (len < tl)
        return GW_NEED_MORE;
    out->len = tl;
    /* Not X.224 Data, or not a Send Data Indication: nothing that can redirect. */
    if (buf[4] != 0x02 || buf[5] != 0xF0 || buf[6] != 0x80 || tl < 8 || buf[7] >> 2 != MCS_SDIN)
        return GW_OK;
    if (tl < 14) {
        dp_err_set(err, "server PDU: MCS Send Data Indication in a %zu-byte TPKT is truncated", tl);
        return GW_ERROR;
    }
    out->channel = gw_rd16be(buf + 10);
    size_t pos = 13, n = buf[13];
    if (n & 0x80) {
        /* Two bytes, 15 bits: FreeRDP writes length | 0x8000 even past 16 KiB, where strict
         * PER would fragment, so read it the way its peers do. */
        if (tl < 15) {
            dp_err_set(err, "server PDU: MCS Send Data Indication in a %zu-byte TPKT is truncated",
                       tl);
            return GW_ERROR;
        }
        n = (n & 0x7F) << 8 | buf[14];
        pos = 15;
    } else {
        pos = 14;
    }
    if (n != tl - pos) {
        dp_err_set(err,
                   "server PDU: MCS Send Data Indication says %zu bytes of data, the TPKT holds "
                   "%zu",
                   n, tl - pos);
        return GW_ERROR;
    }
    if (out->channel == io_channel)
        out->redirect = has_redirect(buf + pos, n, pos, &out->redirect_at);
    return GW_OK;
}
