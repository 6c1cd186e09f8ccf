/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCS Connect Initial patching: a real xfreerdp 2.11 Connect Initial (/sec:tls, captured
 * through a TLS test server), and Connect Initials built here per MS-RDPBCGR with 1- and
 * 2-byte PER lengths, short blocks, duplicates and lying lengths.
 */
#include "mcs_patch.h"

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

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* xfreerdp /u:alice /sec:tls: 451 bytes; CS_CORE at 137 (234 bytes, serverSelectedProtocol
 * = 1), CS_CLUSTER at 371 (flags 0x0d: REDIRECTION_SUPPORTED, version 3), no
 * CS_MULTITRANSPORT. */
static const char XFREERDP_CI[] =
    "030001c302f0807f658201b70401010401010101ff301a020122020102020100020101020100020101020300"
    "ffff0201023019020101020101020101020101020100020101020204200201023020020300ffff020300fc17"
    "020300ffff020101020100020101020300ffff02010204820151000500147c00018148000800100001c00044"
    "756361813a01c0ea000c0008000004000301ca03aa09040000bb47000076006d000000000000000000000000"
    "000000000000000000000000000000000004000000000000000c000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000001ca01000000000018000f00e30500000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000700010000"
    "0000000000000000000000000000000000000004c00c000d0000000000000002c00c00000000000000000003"
    "c03800040000007264706472000000000080c0726470736e640000000000c0636c6970726472000000a0c064"
    "7264796e766300000080c0";

START_TEST(xfreerdp_connect_initial)
{
    uint8_t buf[600], orig[600];
    size_t n = unhex(XFREERDP_CI, buf, sizeof buf);
    memcpy(orig, buf, n);
    struct gw_mcs_patch_report rep;
    struct dp_err err = {0};

    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(gw_mcs_patch_connect_initial(buf, k, 2, &rep, &err), GW_NEED_MORE);
        ck_assert_mem_eq(buf, orig, n);
    }
    buf[n] = 0x77; /* the next PDU's first byte must stay as it is */
    int rc = gw_mcs_patch_connect_initial(buf, n + 1, 0x0B, &rep, &err);
    ck_assert_msg(rc == GW_OK, "%s", dp_err_msg(&err));
    ck_assert_uint_eq(rep.consumed, 451);
    ck_assert_uint_eq(rep.core_offset, 137);
    ck_assert_uint_eq(rep.core_len, 234);
    ck_assert_int_eq(rep.selected_protocol_patched, 1);
    ck_assert_uint_eq(rep.old_selected_protocol, 1);
    ck_assert_uint_eq(get32(buf + 137 + 212), 0x0B);
    ck_assert_int_eq(rep.cluster_patched, 1);
    ck_assert_uint_eq(rep.cluster_offset, 371);
    ck_assert_uint_eq(rep.old_cluster_flags, 0x0d);
    ck_assert_uint_eq(get32(buf + 371 + 4), 0x0c);
    ck_assert_int_eq(rep.multitransport_patched, 0);
    ck_assert_uint_eq(buf[n], 0x77);
    /* nothing else moved */
    size_t changed = 0;
    for (size_t i = 0; i < n; i++)
        changed += buf[i] != orig[i];
    ck_assert_uint_eq(changed, 2); /* 01 -> 0b, 0d -> 0c */
}
END_TEST

/* A Connect Initial per MS-RDPBCGR 2.2.1.3 around the given user data blocks. */
static size_t build_ci(const uint8_t *blocks, size_t blen, uint8_t *out)
{
    uint8_t gcc[2048], *g = gcc;
    static const uint8_t key[] = {0x00, 0x05, 0x00, 0x14, 0x7C, 0x00, 0x01};
    static const uint8_t ccr[] = {0x00, 0x08, 0x00, 0x10, 0x00, 0x01,
                                  0xC0, 0x00, 'D',  'u',  'c',  'a'};
    size_t ud_len_size = blen < 0x80 ? 1 : 2;
    size_t connect_pdu = sizeof ccr + ud_len_size + blen;
    memcpy(g, key, sizeof key);
    g += sizeof key;
    if (connect_pdu < 0x80) {
        *g++ = (uint8_t)connect_pdu;
    } else {
        *g++ = (uint8_t)(0x80 | connect_pdu >> 8);
        *g++ = (uint8_t)connect_pdu;
    }
    memcpy(g, ccr, sizeof ccr);
    g += sizeof ccr;
    if (blen < 0x80) {
        *g++ = (uint8_t)blen;
    } else {
        *g++ = (uint8_t)(0x80 | blen >> 8);
        *g++ = (uint8_t)blen;
    }
    memcpy(g, blocks, blen);
    g += blen;
    size_t gcc_len = (size_t)(g - gcc);

    static const uint8_t params[] = {0x30, 0x19, 0x02, 0x01, 0x22, 0x02, 0x01, 0x02, 0x02,
                                     0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02,
                                     0x01, 0x01, 0x02, 0x02, 0xff, 0xff, 0x02, 0x01, 0x02};
    uint8_t body[4096], *b = body;
    static const uint8_t sel[] = {0x04, 0x01, 0x01, 0x04, 0x01, 0x01, 0x01, 0x01, 0xff};
    memcpy(b, sel, sizeof sel);
    b += sizeof sel;
    for (int i = 0; i < 3; i++) {
        memcpy(b, params, sizeof params);
        b += sizeof params;
    }
    *b++ = 0x04;
    *b++ = 0x82;
    *b++ = (uint8_t)(gcc_len >> 8);
    *b++ = (uint8_t)gcc_len;
    memcpy(b, gcc, gcc_len);
    b += gcc_len;
    size_t body_len = (size_t)(b - body);

    size_t total = 4 + 3 + 2 + 3 + body_len;
    uint8_t *o = out;
    *o++ = 0x03;
    *o++ = 0x00;
    *o++ = (uint8_t)(total >> 8);
    *o++ = (uint8_t)total;
    *o++ = 0x02, *o++ = 0xF0, *o++ = 0x80;
    *o++ = 0x7F, *o++ = 0x65;
    *o++ = 0x82, *o++ = (uint8_t)(body_len >> 8), *o++ = (uint8_t)body_len;
    memcpy(o, body, body_len);
    return total;
}

static size_t block(uint8_t *p, uint16_t type, uint16_t len, uint32_t flags)
{
    memset(p, 0, len);
    p[0] = (uint8_t)type, p[1] = (uint8_t)(type >> 8);
    p[2] = (uint8_t)len, p[3] = (uint8_t)(len >> 8);
    if (len >= 8)
        for (int i = 0; i < 4; i++)
            p[4 + i] = (uint8_t)(flags >> (8 * i));
    return len;
}

START_TEST(built_with_multitransport_and_two_byte_per)
{
    uint8_t blocks[512], ci[4096];
    size_t bl = 0;
    bl += block(blocks + bl, GW_CS_CORE, 234, 0x00080004);
    blocks[212] = 0x03; /* serverSelectedProtocol as the client saw it */
    bl += block(blocks + bl, 0xC002, 12, 3);
    bl += block(blocks + bl, GW_CS_MULTITRANSPORT, 8, 0x00000301);
    bl += block(blocks + bl, GW_CS_CLUSTER, 12, 0x0000003D);
    size_t n = build_ci(blocks, bl, ci);
    struct gw_mcs_patch_report rep;
    struct dp_err err = {0};
    int rc = gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err);
    ck_assert_msg(rc == GW_OK, "%s", dp_err_msg(&err));
    ck_assert_uint_eq(rep.consumed, n);
    ck_assert_uint_eq(rep.old_selected_protocol, 3);
    ck_assert_uint_eq(get32(ci + rep.core_offset + 212), 2);
    ck_assert_int_eq(rep.multitransport_patched, 1);
    ck_assert_uint_eq(rep.old_multitransport_flags, 0x301);
    ck_assert_uint_eq(rep.multitransport_offset, n - 12 - 8);
    ck_assert_uint_eq(get32(ci + n - 12 - 8 + 4), 0);
    ck_assert_uint_eq(rep.old_cluster_flags, 0x3D);
    ck_assert_uint_eq(get32(ci + n - 12 + 4), 0x3C);

    /* Patching again finds what the first pass wrote and changes nothing more. */
    uint8_t once[4096];
    memcpy(once, ci, n);
    ck_assert_int_eq(gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err), GW_OK);
    ck_assert_uint_eq(rep.old_selected_protocol, 2);
    ck_assert_mem_eq(ci, once, n);
}
END_TEST

START_TEST(built_small_one_byte_per_and_short_core)
{
    /* A minimal 8-byte core block (1-byte PER lengths everywhere) and an old client's
     * 136-byte core block both end before serverSelectedProtocol. */
    uint8_t blocks[512], ci[4096];
    size_t bl = block(blocks, GW_CS_CORE, 8, 0x00080004);
    size_t n = build_ci(blocks, bl, ci);
    ck_assert_uint_lt(n, 0x80 + 100);
    struct gw_mcs_patch_report rep;
    struct dp_err err = {0};
    int rc = gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err);
    ck_assert_msg(rc == GW_OK, "%s", dp_err_msg(&err));
    ck_assert_int_eq(rep.selected_protocol_patched, 0);

    bl = block(blocks, GW_CS_CORE, 136, 0x00080004);
    n = build_ci(blocks, bl, ci);
    uint8_t orig[4096];
    memcpy(orig, ci, n);
    ck_assert_int_eq(gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err), GW_OK);
    ck_assert_int_eq(rep.selected_protocol_patched, 0);
    ck_assert_mem_eq(ci, orig, n); /* nothing to change, nothing changed */

    bl = block(blocks, GW_CS_CORE, 216, 0);
    n = build_ci(blocks, bl, ci);
    ck_assert_int_eq(gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err), GW_OK);
    ck_assert_int_eq(rep.selected_protocol_patched, 1); /* exactly long enough */
}
END_TEST

static void expect_error(uint8_t *ci, size_t n, const char *part)
{
    uint8_t orig[4096];
    memcpy(orig, ci, n);
    struct gw_mcs_patch_report rep;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_mcs_patch_connect_initial(ci, n, 2, &rep, &err), GW_ERROR);
    ck_assert_mem_eq(ci, orig, n); /* refused means untouched */
    ck_assert_msg(strstr(dp_err_msg(&err), part), "\"%s\" lacks \"%s\"", dp_err_msg(&err), part);
}

START_TEST(broken_connect_initials_are_refused_untouched)
{
    uint8_t blocks[512], ci[4096];
    size_t bl = 0;
    bl += block(blocks + bl, GW_CS_CORE, 234, 0);
    bl += block(blocks + bl, GW_CS_CLUSTER, 12, 1);
    size_t n = build_ci(blocks, bl, ci);
    size_t cluster = n - 12;

    ci[cluster + 2] = 13; /* block runs one byte past the user data */
    expect_error(ci, n, "has length 13");
    ci[cluster + 2] = 3;
    expect_error(ci, n, "has length 3");
    ci[cluster + 2] = 12;
    ci[cluster] = 0x01; /* a second core block */
    expect_error(ci, n, "appears twice");
    ci[cluster] = 0x04;

    bl = block(blocks, 0xC002, 12, 0);
    bl += block(blocks + bl, GW_CS_CLUSTER, 6, 0);
    n = build_ci(blocks, bl, ci);
    expect_error(ci, n, "no TS_UD_CS_CORE");
    bl = block(blocks, GW_CS_CORE, 12, 0);
    bl += block(blocks + bl, GW_CS_CLUSTER, 6, 0);
    n = build_ci(blocks, bl, ci);
    expect_error(ci, n, "too short to hold its flags");

    bl = block(blocks, GW_CS_CORE, 234, 0);
    n = build_ci(blocks, bl, ci);
    ci[11]++; /* BER Connect-Initial length */
    expect_error(ci, n, "claims");
    ci[11]--;
    ci[8] = 0x66; /* Connect-Response tag instead */
    expect_error(ci, n, "Connect-Initial tag");
    ci[8] = 0x65;
    ci[4] = 0x03; /* not X.224 Data */
    expect_error(ci, n, "X.224 Data header");
    ci[4] = 0x02;
    size_t duca = 12 + 9 + 3 * 27 + 4 + 7 + 2 + 6;
    ck_assert_uint_eq(ci[duca + 2], 'D');
    ci[duca + 2] = 'M';
    expect_error(ci, n, "Duca");
    ci[duca + 2] = 'D';
    ci[duca - 1] = 0x02; /* two sets of user data */
    expect_error(ci, n, "exactly 1");
    ci[duca - 1] = 0x01;
    ci[duca + 6] = 0xC0; /* 0x40ea: a 15-bit length far past the user data */
    expect_error(ci, n, "claims 16618");
    ci[duca + 6] = 0x80;
    ci[duca + 7] = 0xEB; /* user data one byte longer than what is there */
    expect_error(ci, n, "claims 235");

    uint8_t fp[] = {0x44, 0x05, 0, 0, 0};
    expect_error(fp, sizeof fp, "not TPKT");
    uint8_t tiny[] = {0x03, 0x00, 0x00, 0x05, 0x02};
    expect_error(tiny, sizeof tiny, "too short");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_mcs_patch");
    TCase *tc = tcase_create("mcs_patch");
    tcase_add_test(tc, xfreerdp_connect_initial);
    tcase_add_test(tc, built_with_multitransport_and_two_byte_per);
    tcase_add_test(tc, built_small_one_byte_per_and_short_core);
    tcase_add_test(tc, broken_connect_initials_are_refused_untouched);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
