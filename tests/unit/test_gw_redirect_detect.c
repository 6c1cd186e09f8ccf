/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-to-client framing and redirection detection: an Enhanced Security Server
 * Redirection PDU built per MS-RDPBCGR 2.2.13.3.1, the same bytes on a virtual channel,
 * ordinary PDUs, fast path, concatenated share control PDUs and lying lengths.
 */
#include "redirect_detect.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* TPKT + X.224 Data + MCS SDin(initiator 1002, channel) + payload */
static size_t sdin(uint16_t channel, const uint8_t *payload, size_t plen, uint8_t *out)
{
    size_t hdr = 4 + 3 + 6 + (plen < 0x80 ? 1 : 2), total = hdr + plen;
    uint8_t *o = out;
    *o++ = 0x03, *o++ = 0x00, *o++ = (uint8_t)(total >> 8), *o++ = (uint8_t)total;
    *o++ = 0x02, *o++ = 0xF0, *o++ = 0x80;
    *o++ = 0x68, *o++ = 0x00, *o++ = 0x01; /* SDin, initiator 1001 + 1 */
    *o++ = (uint8_t)(channel >> 8), *o++ = (uint8_t)channel, *o++ = 0x70;
    if (plen < 0x80) {
        *o++ = (uint8_t)plen;
    } else {
        *o++ = (uint8_t)(0x80 | plen >> 8);
        *o++ = (uint8_t)plen;
    }
    memcpy(o, payload, plen);
    return total;
}

/* shareControlHeader(type) + pad2Octets + RDP_SERVER_REDIRECTION_PACKET with an LB cookie */
static size_t redirection(uint8_t *p, uint16_t pdu_type)
{
    static const char lb[] = "Cookie: msts=3640205228.15629.0000\r\n";
    size_t lbl = sizeof lb - 1, pkt = 4 + 4 + 4 + 4 + lbl, total = 6 + 2 + pkt + 8;
    memset(p, 0, total);
    p[0] = (uint8_t)total, p[1] = (uint8_t)(total >> 8);
    p[2] = (uint8_t)pdu_type, p[3] = (uint8_t)(pdu_type >> 8);
    p[4] = 0xEA, p[5] = 0x03; /* pduSource 1002 */
    uint8_t *r = p + 8;
    r[0] = 0x00, r[1] = 0x04; /* Flags: SEC_REDIRECTION_PKT */
    r[2] = (uint8_t)pkt;
    r[4] = 0x07;          /* SessionID */
    r[8] = 0x02;          /* RedirFlags: LB_LOAD_BALANCE_INFO */
    r[12] = (uint8_t)lbl; /* LoadBalanceInfoLength */
    memcpy(r + 16, lb, lbl);
    return total;
}

START_TEST(redirection_on_the_io_channel_is_caught)
{
    uint8_t pl[256], pdu[512];
    size_t pll = redirection(pl, 0x001A);
    size_t n = sdin(GW_MCS_IO_CHANNEL, pl, pll, pdu);
    struct gw_s2c_pdu out;
    struct dp_err err = {0};

    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(gw_redirect_detect(pdu, k, GW_MCS_IO_CHANNEL, &out, &err), GW_NEED_MORE);
    ck_assert_int_eq(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
    ck_assert_uint_eq(out.len, n);
    ck_assert_int_eq(out.redirect, 1);
    ck_assert_uint_eq(out.redirect_at, 14);
    ck_assert_uint_eq(out.channel, GW_MCS_IO_CHANNEL);
    ck_assert_int_eq(out.fastpath, 0);

    /* The same bytes on a virtual channel are channel data, not a redirection. */
    n = sdin(1004, pl, pll, pdu);
    ck_assert_int_eq(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
    ck_assert_int_eq(out.redirect, 0);
    ck_assert_uint_eq(out.channel, 1004);
    /* ... unless the Connect Response made 1004 the I/O channel. */
    ck_assert_int_eq(gw_redirect_detect(pdu, n, 1004, &out, &err), GW_OK);
    ck_assert_int_eq(out.redirect, 1);
}
END_TEST

START_TEST(ordinary_pdus_pass)
{
    uint8_t pl[600], pdu[1024];
    struct gw_s2c_pdu out;
    struct dp_err err = {0};

    /* Demand Active (type 1), a data PDU (type 7), a Deactivate All (type 6) */
    static const uint16_t types[] = {0x0011, 0x0017, 0x0016};
    for (size_t i = 0; i < 3; i++) {
        memset(pl, 0, 300);
        pl[0] = 0x2C, pl[1] = 0x01, pl[2] = (uint8_t)types[i];
        size_t n = sdin(GW_MCS_IO_CHANNEL, pl, 300, pdu); /* 2-byte PER length */
        ck_assert_int_eq(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
        ck_assert_uint_eq(out.len, n);
        ck_assert_int_eq(out.redirect, 0);
    }
    /* Disconnect Provider Ultimatum: MCS, but not data */
    static const uint8_t dpum[] = {0x03, 0x00, 0x00, 0x09, 0x02, 0xF0, 0x80, 0x21, 0x80};
    ck_assert_int_eq(gw_redirect_detect(dpum, sizeof dpum, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
    ck_assert_uint_eq(out.len, 9);
    ck_assert_int_eq(out.redirect, 0);
    /* Fast-path output with 1- and 2-byte lengths, followed by the next PDU */
    uint8_t fp[400] = {0x00, 0x06, 1, 2, 3, 4, 0x03};
    ck_assert_int_eq(gw_redirect_detect(fp, 7, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
    ck_assert_uint_eq(out.len, 6);
    ck_assert_int_eq(out.fastpath, 1);
    fp[1] = 0x81, fp[2] = 0x2C; /* 300 bytes */
    for (size_t k = 0; k < 300; k++)
        ck_assert_int_eq(gw_redirect_detect(fp, k, GW_MCS_IO_CHANNEL, &out, &err), GW_NEED_MORE);
    ck_assert_int_eq(gw_redirect_detect(fp, 300, GW_MCS_IO_CHANNEL, &out, &err), GW_OK);
    ck_assert_uint_eq(out.len, 300);
}
END_TEST

START_TEST(redirection_behind_other_share_pdus)
{
    uint8_t pl[512], pdu[1024];
    struct gw_s2c_pdu out;
    size_t pll = 0;
    /* a flow PDU (0x8000 marker, 8 bytes), a 10-byte data PDU, then the redirection */
    static const uint8_t flow[] = {0x00, 0x80, 0x00, 0x42, 0x01, 0x00, 0xEA, 0x03};
    memcpy(pl, flow, sizeof flow);
    pll += sizeof flow;
    static const uint8_t data[] = {0x0A, 0x00, 0x17, 0x00, 0xEA, 0x03, 0, 0, 0, 0};
    memcpy(pl + pll, data, sizeof data);
    pll += sizeof data;
    pll += redirection(pl + pll, 0x001A);
    size_t n = sdin(GW_MCS_IO_CHANNEL, pl, pll, pdu);
    ck_assert_int_eq(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, NULL), GW_OK);
    ck_assert_int_eq(out.redirect, 1);
    ck_assert_uint_eq(out.redirect_at, 14 + 18);

    /* A chain that stops making sense ends the walk: no verdict from garbage after it. */
    pl[8] = 0x02; /* the data PDU's totalLength 2 < 4 */
    n = sdin(GW_MCS_IO_CHANNEL, pl, pll, pdu);
    ck_assert_int_eq(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, NULL), GW_OK);
    ck_assert_int_eq(out.redirect, 0);
}
END_TEST

START_TEST(big_slow_path_pdu_with_a_15_bit_length)
{
    /* 20000 bytes of update data: FreeRDP writes the PER length as 0xCE20 (length | 0x8000) */
    static uint8_t pl[20000], pdu[20100];
    memset(pl, 0, sizeof pl);
    pl[0] = 0x20, pl[1] = 0x4E, pl[2] = 0x17; /* one 20000-byte data PDU */
    size_t n = sdin(GW_MCS_IO_CHANNEL, pl, sizeof pl, pdu);
    ck_assert_uint_eq(pdu[13], 0xCE);
    struct gw_s2c_pdu out;
    struct dp_err err = {0};
    ck_assert_msg(gw_redirect_detect(pdu, n, GW_MCS_IO_CHANNEL, &out, &err) == GW_OK, "%s",
                  dp_err_msg(&err));
    ck_assert_uint_eq(out.len, n);
    ck_assert_int_eq(out.redirect, 0);
}
END_TEST

static void expect_error(const uint8_t *b, size_t n, const char *part)
{
    struct gw_s2c_pdu out;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_redirect_detect(b, n, GW_MCS_IO_CHANNEL, &out, &err), GW_ERROR);
    ck_assert_msg(strstr(dp_err_msg(&err), part), "\"%s\" lacks \"%s\"", dp_err_msg(&err), part);
}

START_TEST(lying_lengths)
{
    uint8_t pl[256], pdu[512];
    size_t n = sdin(GW_MCS_IO_CHANNEL, pl, redirection(pl, 0x001A), pdu);
    pdu[13]--; /* SDin length one short of the TPKT */
    expect_error(pdu, n, "MCS Send Data Indication says");
    pdu[13] = 0x80; /* a two-byte length cut off by the end of the TPKT */
    static const uint8_t cut_len[] = {0x03, 0x00, 0x00, 0x0E, 0x02, 0xF0, 0x80,
                                      0x68, 0x00, 0x01, 0x03, 0xEB, 0x70, 0x80};
    expect_error(cut_len, sizeof cut_len, "truncated");
    static const uint8_t short_tpkt[] = {0x03, 0x00, 0x00, 0x06, 0x02, 0xF0};
    expect_error(short_tpkt, sizeof short_tpkt, "shorter than TPKT");
    static const uint8_t cut_sdin[] = {0x03, 0x00, 0x00, 0x0A, 0x02, 0xF0, 0x80, 0x68, 0x00, 0x01};
    expect_error(cut_sdin, sizeof cut_sdin, "truncated");
    static const uint8_t lost[] = {0x17, 0x03, 0x03};
    expect_error(lost, sizeof lost, "lost its place");
    static const uint8_t fp_short[] = {0x00, 0x01};
    expect_error(fp_short, sizeof fp_short, "shorter than its own header");
    static const uint8_t reserved[] = {0x03, 0x01, 0x00, 0x09};
    expect_error(reserved, sizeof reserved, "reserved byte");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_redirect_detect");
    TCase *tc = tcase_create("redirect_detect");
    tcase_add_test(tc, redirection_on_the_io_channel_is_caught);
    tcase_add_test(tc, ordinary_pdus_pass);
    tcase_add_test(tc, redirection_behind_other_share_pdus);
    tcase_add_test(tc, big_slow_path_pdu_with_a_15_bit_length);
    tcase_add_test(tc, lying_lengths);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
