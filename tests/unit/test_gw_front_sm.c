/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's decision on a client's first bytes (front_sm), fed with what real clients
 * send (shared/notes/captures.md), byte by byte as a slow network would deliver it: NLA
 * clients get a Connection Confirm selecting HYBRID, standard RDP security and TLS-only
 * clients get an RDP_NEG_FAILURE, routing tokens take the splice path, pools come from
 * load-balance info or the preconnection blob, garbage is an error.
 */
#include "front_sm.h"

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

#define ALICE                                                                                      \
    "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000"
#define ALICE_EXT                                                                                  \
    "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a010008000b000000"
#define ALICE_TLS                                                                                  \
    "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080001000000"
#define ALICE_RDP "030000231ee00000000000436f6f6b69653a206d737473686173683d616c6963650d0a"
#define LB_TSV                                                                                     \
    "0300003c37e000000000007473763a2f2f4d53205465726d696e616c20536572766963657320506c7567696e2e31" \
    "2e6c61620d0a0100080003000000"
#define TOKEN                                                                                      \
    "0300003732e00000000000436f6f6b69653a206d7374733d333634303230353232382e31353632392e303030300d" \
    "0a0100080003000000"
#define PCB                                                                                        \
    "260000000000000002000000000000000a006c00610062002d0070006f006f006c00000000000300002b26e00000" \
    "000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000"
#define MESH "030000130ee000000000000100080003000000"

/* Feeds the capture one byte more at a time: every proper prefix must ask for more. */
static int decide_slowly(const char *hex, int offer_ext, struct gw_front_decision *d)
{
    uint8_t buf[GW_FRONT_MAX_FIRST];
    size_t n = unhex(hex, buf, sizeof buf);
    struct dp_err err = {0};
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(gw_front_decide(buf, i, offer_ext, d, &err), GW_FRONT_NEED_MORE);
    int v = gw_front_decide(buf, n, offer_ext, d, &err);
    if (v != GW_FRONT_ERROR)
        ck_assert_uint_eq(d->consumed, n);
    return v;
}

static void assert_cc(const struct gw_front_decision *d, uint8_t type, uint32_t value)
{
    ck_assert_uint_eq(d->reply_len, 19);
    ck_assert_uint_eq(d->reply[0], 3);    /* TPKT */
    ck_assert_uint_eq(d->reply[5], 0xD0); /* X.224 CC */
    ck_assert_uint_eq(d->reply[11], type);
    uint32_t v = (uint32_t)d->reply[15] | (uint32_t)d->reply[16] << 8 |
                 (uint32_t)d->reply[17] << 16 | (uint32_t)d->reply[18] << 24;
    ck_assert_uint_eq(v, value);
}

START_TEST(xfreerdp_default_gets_hybrid)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(ALICE, 0, &d), GW_FRONT_NLA);
    ck_assert_uint_eq(d.selected_protocol, 0x2);
    assert_cc(&d, 0x02, 0x2);
    ck_assert_str_eq(d.cr.value, "alice");
    ck_assert_str_eq(d.pool, "");
}
END_TEST

START_TEST(hybrid_ex_only_when_offered)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(ALICE_EXT, 0, &d), GW_FRONT_NLA);
    ck_assert_uint_eq(d.selected_protocol, 0x2); /* FreeRDP 2.x cannot take HYBRID_EX */
    ck_assert_int_eq(decide_slowly(ALICE_EXT, 1, &d), GW_FRONT_NLA);
    ck_assert_uint_eq(d.selected_protocol, 0x8);
    assert_cc(&d, 0x02, 0x8);
}
END_TEST

START_TEST(standard_rdp_security_is_refused)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(ALICE_RDP, 0, &d), GW_FRONT_REFUSE);
    assert_cc(&d, 0x03, 5); /* HYBRID_REQUIRED_BY_SERVER */
}
END_TEST

START_TEST(tls_only_is_refused)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(ALICE_TLS, 0, &d), GW_FRONT_REFUSE);
    assert_cc(&d, 0x03, 5);
}
END_TEST

START_TEST(routing_token_takes_the_splice)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(TOKEN, 0, &d), GW_FRONT_TOKEN);
    ck_assert_str_eq(d.cr.value, "3640205228.15629.0000");
    ck_assert_uint_eq(d.reply_len, 0);
}
END_TEST

START_TEST(load_balance_info_names_the_pool)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(LB_TSV, 0, &d), GW_FRONT_NLA);
    ck_assert_str_eq(d.pool, "lab");
}
END_TEST

START_TEST(preconnection_blob_names_the_pool)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(PCB, 0, &d), GW_FRONT_NLA);
    ck_assert(d.has_pcb);
    ck_assert_str_eq(d.pool, "lab-pool");
    ck_assert_str_eq(d.cr.value, "alice");
}
END_TEST

START_TEST(client_without_cookie_is_served)
{
    struct gw_front_decision d;
    ck_assert_int_eq(decide_slowly(MESH, 0, &d), GW_FRONT_NLA);
    ck_assert_int_eq(d.cr.line_kind, GW_X224_LINE_NONE);
}
END_TEST

START_TEST(garbage_is_an_error)
{
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    struct gw_front_decision d;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_front_decide(junk, sizeof junk, 0, &d, &err), GW_FRONT_ERROR);
    ck_assert(err.set);
    /* an HTTP request on the RDP port */
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    dp_err_clear(&err);
    ck_assert_int_eq(gw_front_decide((const uint8_t *)http, strlen(http), 0, &d, &err),
                     GW_FRONT_ERROR);
}
END_TEST

START_TEST(pool_names_are_checked)
{
    char pool[GW_POOL_NAME_MAX + 1];
    ck_assert_int_eq(gw_front_pool_from_text("tsv://MS Terminal Services Plugin.1.lab", pool), 0);
    ck_assert_str_eq(pool, "lab");
    ck_assert_int_eq(gw_front_pool_from_text("lab_2.x-y", pool), 0);
    ck_assert_int_eq(gw_front_pool_from_text("has space", pool), -1);
    ck_assert_int_eq(gw_front_pool_from_text("", pool), -1);
    ck_assert_int_eq(gw_front_pool_from_text("tsv://MS Terminal Services Plugin.1.", pool), -1);
    char longname[GW_POOL_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(gw_front_pool_from_text(longname, pool), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gw_front_sm");
    TCase *tc = tcase_create("decide");
    tcase_add_test(tc, xfreerdp_default_gets_hybrid);
    tcase_add_test(tc, hybrid_ex_only_when_offered);
    tcase_add_test(tc, standard_rdp_security_is_refused);
    tcase_add_test(tc, tls_only_is_refused);
    tcase_add_test(tc, routing_token_takes_the_splice);
    tcase_add_test(tc, load_balance_info_names_the_pool);
    tcase_add_test(tc, preconnection_blob_names_the_pool);
    tcase_add_test(tc, client_without_cookie_is_served);
    tcase_add_test(tc, garbage_is_an_error);
    tcase_add_test(tc, pool_names_are_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
