/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.224 Connection Request / Confirm: the first bytes real clients send (captures.md), cut
 * at every length, with corrupted lengths and oversize lines; the builders round-trip.
 */
#include "preconnection.h"
#include "x224.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    ck_assert_uint_le(n, cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

struct capture {
    const char *name, *hex;
    size_t pcb_len; /* bytes of preconnection PDU before the CR */
    enum gw_x224_line_kind kind;
    const char *value;
    int has_neg;
    uint32_t protocols;
};

static const struct capture captures[] = {
    {"xfreerdp /u:alice",
     "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000", 0,
     GW_X224_LINE_USER, "alice", 1, 0x03},
    {"xfreerdp /u:alice /sec:ext",
     "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a010008000b000000", 0,
     GW_X224_LINE_USER, "alice", 1, 0x0b},
    {"xfreerdp /u:alice /sec:tls",
     "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080001000000", 0,
     GW_X224_LINE_USER, "alice", 1, 0x01},
    {"xfreerdp /u:alice /sec:rdp",
     "030000231ee00000000000436f6f6b69653a206d737473686173683d616c6963650d0a", 0, GW_X224_LINE_USER,
     "alice", 0, 0},
    {"xfreerdp /load-balance-info:tsv://...",
     "0300003c37e000000000007473763a2f2f4d53205465726d696e616c20536572766963657320506c7567696e2e"
     "312e6c61620d0a0100080003000000",
     0, GW_X224_LINE_LB_INFO, "tsv://MS Terminal Services Plugin.1.lab", 1, 0x03},
    {"xfreerdp /load-balance-info:Cookie: msts=...",
     "0300003732e00000000000436f6f6b69653a206d7374733d333634303230353232382e31353632392e30303030"
     "0d0a0100080003000000",
     0, GW_X224_LINE_ROUTING_TOKEN, "3640205228.15629.0000", 1, 0x03},
    {"xfreerdp /u:alice /pcb:lab-pool",
     "260000000000000002000000000000000a006c00610062002d0070006f006f006c000000000003000"
     "02b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000",
     38, GW_X224_LINE_USER, "alice", 1, 0x03},
    {"MeshCentral", "030000130ee000000000000100080003000000", 0, GW_X224_LINE_NONE, "", 1, 0x03},
};

START_TEST(captures_parse_to_what_the_client_meant)
{
    const struct capture *c = &captures[_i];
    uint8_t buf[512];
    size_t n = unhex(c->hex, buf, sizeof buf), used = 0;
    struct gw_x224_cr cr;
    struct dp_err err = {0};

    ck_assert_int_eq(gw_preconnection_present(buf, n), c->pcb_len ? 1 : 0);
    if (c->pcb_len) {
        struct gw_preconnection pcb;
        ck_assert_int_eq(gw_preconnection_parse(buf, n, &pcb, &used, &err), GW_OK);
        ck_assert_uint_eq(used, c->pcb_len);
    }
    size_t cr_used = 0;
    int rc = gw_x224_cr_parse(buf + used, n - used, &cr, &cr_used, &err);
    ck_assert_msg(rc == GW_OK, "%s: %s", c->name, dp_err_msg(&err));
    ck_assert_uint_eq(used + cr_used, n);
    ck_assert_int_eq(cr.line_kind, c->kind);
    ck_assert_str_eq(cr.value, c->value);
    ck_assert_uint_eq(cr.value_len, strlen(c->value));
    ck_assert_int_eq(cr.has_neg_req, c->has_neg);
    ck_assert_uint_eq(cr.requested_protocols, c->protocols);
    ck_assert_int_eq(cr.has_correlation, 0);

    /* Every shorter read is a prefix: wait, never refuse, never claim a PDU. */
    for (size_t k = 0; k < cr_used; k++) {
        size_t u = 99;
        ck_assert_int_eq(gw_x224_cr_parse(buf + used, k, &cr, &u, &err), GW_NEED_MORE);
        ck_assert_uint_eq(u, 0);
    }
    /* Rebuilding gives the client's bytes back (what the gateway sends to the VM). */
    ck_assert_int_eq(gw_x224_cr_parse(buf + used, n - used, &cr, &cr_used, &err), GW_OK);
    uint8_t again[GW_X224_CR_MAX];
    int w = gw_x224_cr_build(&cr, again, sizeof again, &err);
    ck_assert_int_eq(w, (int)cr_used);
    ck_assert_mem_eq(again, buf + used, cr_used);
}
END_TEST

/* Parses hex expecting GW_ERROR; returns the reason for the caller to check. */
static void expect_error(const char *hex, const char *reason_part)
{
    uint8_t buf[512];
    size_t n = unhex(hex, buf, sizeof buf), used = 7;
    struct gw_x224_cr cr;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_x224_cr_parse(buf, n, &cr, &used, &err), GW_ERROR);
    ck_assert_uint_eq(used, 0);
    ck_assert_msg(strstr(dp_err_msg(&err), reason_part), "reason \"%s\" lacks \"%s\"",
                  dp_err_msg(&err), reason_part);
}

START_TEST(corrupt_lengths_are_refused_with_a_reason)
{
    /* TPKT length one more than the LI says */
    expect_error("0300002c26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003"
                 "000000",
                 "length indicator 38");
    /* LI larger than the TPKT */
    expect_error("0300002b27e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003"
                 "000000",
                 "expected 38");
    /* TPKT length below the header size */
    expect_error("03000008", "shorter than the 11-byte");
    /* RDP_NEG_REQ length field 9 */
    expect_error("0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100090003"
                 "000000",
                 "RDP_NEG_REQ");
    /* Cookie without CRLF: the request ends inside the line */
    expect_error("030000211ce00000000000436f6f6b69653a206d737473686173683d616c696365", "no CRLF");
    /* CR without LF */
    expect_error("030000221de00000000000436f6f6b69653a206d737473686173683d616c69630d41",
                 "not followed by LF");
    /* NUL inside the user name */
    expect_error("0300002b26e00000000000436f6f6b69653a206d737473686173683d616c0063650d0a0100080003"
                 "000000",
                 "control byte 0x00");
    /* a trailing byte after RDP_NEG_REQ */
    expect_error("0300002c27e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003"
                 "00000000",
                 "unexpected bytes after RDP_NEG_REQ");
    /* correlation info without the flag that announces it */
    expect_error("0300003732e000000000000100080003000000060024001011121314151617181920212223242500"
                 "000000000000000000000000000000",
                 "lack CORRELATION_INFO_PRESENT");
    /* correlation flag without the correlation info */
    expect_error("030000130ee000000000000108080003000000", "CORRELATION_INFO_PRESENT");
    /* not TPKT: a TLS ClientHello and an HTTP request */
    expect_error("160301", "TLS handshake");
    expect_error("474554202f", "HTTP");
    /* a Connection Confirm where a request belongs */
    expect_error("030000130ed000001234000200080002000000", "TPDU code is 0xd0");
    /* class option with extended formats */
    expect_error("030000130ee000000000020100080003000000", "class option is 0x02");
    /* non-zero DST-REF */
    expect_error("030000130ee000010000000100080003000000", "DST-REF");
}
END_TEST

START_TEST(oversize_is_refused_before_it_is_read)
{
    uint8_t buf[8] = {0x03, 0x00, 0x01, 0x04}; /* claims 260 bytes */
    struct gw_x224_cr cr;
    struct dp_err err = {0};
    size_t used;
    ck_assert_int_eq(gw_x224_cr_parse(buf, 4, &cr, &used, &err), GW_ERROR);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "over 259"));

    /* A 247-byte user name cannot be built: it would not fit an X.224 header. */
    struct gw_x224_cr big = {.line_kind = GW_X224_LINE_USER, .has_neg_req = 1};
    memset(big.value, 'u', GW_X224_LINE_MAX);
    uint8_t out[512];
    dp_err_clear(&err);
    ck_assert_int_eq(gw_x224_cr_build(&big, out, sizeof out, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "over the 259"));

    /* The longest line that fits (no RDP_NEG_REQ) parses back. */
    struct gw_x224_cr lb = {.line_kind = GW_X224_LINE_LB_INFO};
    memset(lb.value, 'x', GW_X224_LINE_MAX);
    int w = gw_x224_cr_build(&lb, out, sizeof out, NULL);
    ck_assert_int_eq(w, (int)GW_X224_CR_MAX);
    size_t used2;
    ck_assert_int_eq(gw_x224_cr_parse(out, (size_t)w, &lb, &used2, NULL), GW_OK);
    ck_assert_uint_eq(lb.value_len, GW_X224_LINE_MAX);
}
END_TEST

START_TEST(builder_refuses_injection_and_correlation_round_trips)
{
    struct gw_x224_cr cr = {.line_kind = GW_X224_LINE_USER};
    struct dp_err err = {0};
    uint8_t out[GW_X224_CR_MAX];

    strcpy(cr.value, "alice\r\nCookie: msts=evil");
    ck_assert_int_eq(gw_x224_cr_build(&cr, out, sizeof out, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "control byte 0x0d"));

    struct gw_x224_cr in = {.line_kind = GW_X224_LINE_ROUTING_TOKEN,
                            .src_ref = 0x4242,
                            .has_neg_req = 1,
                            .neg_flags = GW_NEG_RESTRICTED_ADMIN_MODE_REQUIRED,
                            .requested_protocols = GW_PROTOCOL_SSL | GW_PROTOCOL_HYBRID_EX,
                            .has_correlation = 1};
    strcpy(in.value, "tok-123");
    for (int i = 0; i < 16; i++)
        in.correlation_id[i] = (uint8_t)(0x10 + i);
    int w = gw_x224_cr_build(&in, out, sizeof out, NULL);
    ck_assert_int_eq(w, 11 + 13 + 7 + 2 + 8 + 36);
    struct gw_x224_cr back;
    size_t used;
    ck_assert_int_eq(gw_x224_cr_parse(out, (size_t)w, &back, &used, NULL), GW_OK);
    ck_assert_int_eq(back.line_kind, GW_X224_LINE_ROUTING_TOKEN);
    ck_assert_str_eq(back.value, "tok-123");
    ck_assert_uint_eq(back.src_ref, 0x4242);
    ck_assert_uint_eq(back.neg_flags,
                      GW_NEG_RESTRICTED_ADMIN_MODE_REQUIRED | GW_NEG_CORRELATION_INFO_PRESENT);
    ck_assert_uint_eq(back.requested_protocols, 0x09);
    ck_assert_int_eq(back.has_correlation, 1);
    ck_assert_mem_eq(back.correlation_id, in.correlation_id, 16);

    ck_assert_int_eq(gw_x224_cr_build(&in, out, 20, &err), -1); /* too small a buffer */
}
END_TEST

START_TEST(confirm_build_and_parse)
{
    uint8_t out[32];
    struct gw_x224_cc cc = {.kind = GW_X224_CC_NEG_RSP,
                            .flags = GW_NEGRSP_EXTENDED_CLIENT_DATA_SUPPORTED,
                            .selected_protocol = GW_PROTOCOL_HYBRID};
    static const uint8_t want_rsp[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                                       0x00, 0x02, 0x01, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00};
    ck_assert_int_eq(gw_x224_cc_build(&cc, out, sizeof out, NULL), 19);
    ck_assert_mem_eq(out, want_rsp, 19);

    struct gw_x224_cc back;
    size_t used;
    for (size_t k = 0; k < 19; k++)
        ck_assert_int_eq(gw_x224_cc_parse(out, k, &back, &used, NULL), GW_NEED_MORE);
    ck_assert_int_eq(gw_x224_cc_parse(out, 19, &back, &used, NULL), GW_OK);
    ck_assert_uint_eq(used, 19);
    ck_assert_int_eq(back.kind, GW_X224_CC_NEG_RSP);
    ck_assert_uint_eq(back.selected_protocol, GW_PROTOCOL_HYBRID);
    ck_assert_uint_eq(back.flags, 1);

    cc = (struct gw_x224_cc){.kind = GW_X224_CC_NEG_FAILURE,
                             .failure_code = GW_NEGFAIL_HYBRID_REQUIRED_BY_SERVER};
    static const uint8_t want_fail[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                                        0x00, 0x03, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00};
    ck_assert_int_eq(gw_x224_cc_build(&cc, out, sizeof out, NULL), 19);
    ck_assert_mem_eq(out, want_fail, 19);
    ck_assert_int_eq(gw_x224_cc_parse(out, 19, &back, &used, NULL), GW_OK);
    ck_assert_int_eq(back.kind, GW_X224_CC_NEG_FAILURE);
    ck_assert_uint_eq(back.failure_code, 5);

    cc = (struct gw_x224_cc){.kind = GW_X224_CC_NEG_FAILURE,
                             .failure_code = GW_NEGFAIL_SSL_REQUIRED_BY_SERVER};
    ck_assert_int_eq(gw_x224_cc_build(&cc, out, sizeof out, NULL), 19);
    ck_assert_int_eq(gw_x224_cc_parse(out, 19, &back, &used, NULL), GW_OK);
    ck_assert_uint_eq(back.failure_code, 1);

    cc = (struct gw_x224_cc){.kind = GW_X224_CC_PLAIN};
    ck_assert_int_eq(gw_x224_cc_build(&cc, out, sizeof out, NULL), 11);
    ck_assert_int_eq(gw_x224_cc_parse(out, 11, &back, &used, NULL), GW_OK);
    ck_assert_int_eq(back.kind, GW_X224_CC_PLAIN);
    ck_assert_int_eq(gw_x224_cc_build(&cc, out, 10, NULL), -1);

    /* A confirm from a server: a NEG type that is neither, and a request in its place. */
    struct dp_err err = {0};
    static const uint8_t bad_type[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                                       0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
    ck_assert_int_eq(gw_x224_cc_parse(bad_type, 19, &back, &used, &err), GW_ERROR);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "neither RDP_NEG_RSP"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_x224");
    TCase *tc = tcase_create("x224");
    tcase_add_loop_test(tc, captures_parse_to_what_the_client_meant, 0,
                        (int)(sizeof captures / sizeof captures[0]));
    tcase_add_test(tc, corrupt_lengths_are_refused_with_a_reason);
    tcase_add_test(tc, oversize_is_refused_before_it_is_read);
    tcase_add_test(tc, builder_refuses_injection_and_correlation_round_trips);
    tcase_add_test(tc, confirm_build_and_parse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
