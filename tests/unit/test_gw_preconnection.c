/* SPDX-License-Identifier: Apache-2.0 */
/* MS-RDPEPS preconnection PDU: xfreerdp's v2 capture, v1, every prefix, bad sizes. */
#include "preconnection.h"

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

/* xfreerdp /u:alice /pcb:lab-pool: the PDU and the X.224 CR in one write (captures.md). */
static const char PCB_AND_CR[] =
    "260000000000000002000000000000000a006c00610062002d0070006f006f006c00000000000300002b26e0"
    "0000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000";

START_TEST(xfreerdp_v2_blob_and_the_cr_behind_it)
{
    uint8_t buf[256];
    size_t n = unhex(PCB_AND_CR, buf, sizeof buf), used = 0;
    struct gw_preconnection p;
    struct dp_err err = {0};

    ck_assert_int_eq(gw_preconnection_present(buf, n), 1);
    ck_assert_int_eq(gw_preconnection_parse(buf, n, &p, &used, &err), GW_OK);
    ck_assert_uint_eq(used, 38);
    ck_assert_uint_eq(p.version, 2);
    ck_assert_uint_eq(p.id, 0);
    ck_assert_int_eq(p.has_blob, 1);
    ck_assert_str_eq(p.blob, "lab-pool");
    ck_assert_uint_eq(p.blob_len, 8);
    ck_assert_uint_eq(buf[used], 0x03); /* the TPKT follows */

    for (size_t k = 0; k < 38; k++) {
        size_t u = 5;
        ck_assert_int_eq(gw_preconnection_parse(buf, k, &p, &u, &err), GW_NEED_MORE);
        ck_assert_uint_eq(u, 0);
    }
    ck_assert_int_eq(gw_preconnection_present(buf, 0), -1);
}
END_TEST

START_TEST(v1_id_only)
{
    static const uint8_t v1[] = {16, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x39, 0x30, 0, 0};
    struct gw_preconnection p;
    size_t used;
    ck_assert_int_eq(gw_preconnection_parse(v1, sizeof v1, &p, &used, NULL), GW_OK);
    ck_assert_uint_eq(used, 16);
    ck_assert_uint_eq(p.version, 1);
    ck_assert_uint_eq(p.id, 12345);
    ck_assert_int_eq(p.has_blob, 0);
    ck_assert_str_eq(p.blob, "");
}
END_TEST

START_TEST(non_ascii_blob_becomes_utf8)
{
    /* "é€😀" = U+00E9, U+20AC, U+1F600 (a surrogate pair), then the terminator */
    uint8_t b[18 + 10] = {28, 0, 0, 0, 0,    0,    0,    0,    2,    0,    0,    0,    7, 0,
                          0,  0, 5, 0, 0xE9, 0x00, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE, 0, 0};
    struct gw_preconnection p;
    size_t used;
    ck_assert_int_eq(gw_preconnection_parse(b, sizeof b, &p, &used, NULL), GW_OK);
    ck_assert_str_eq(p.blob, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    ck_assert_uint_eq(p.id, 7);

    b[25] = 0x00; /* the low surrogate becomes "A": the high one is left alone */
    struct dp_err err = {0};
    ck_assert_int_eq(gw_preconnection_parse(b, sizeof b, &p, &used, &err), GW_ERROR);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "surrogate"));
}
END_TEST

static void expect_error(const uint8_t *b, size_t n, const char *part)
{
    struct gw_preconnection p;
    struct dp_err err = {0};
    size_t used = 3;
    ck_assert_int_eq(gw_preconnection_parse(b, n, &p, &used, &err), GW_ERROR);
    ck_assert_uint_eq(used, 0);
    ck_assert_msg(strstr(dp_err_msg(&err), part), "\"%s\" lacks \"%s\"", dp_err_msg(&err), part);
}

START_TEST(bad_sizes_and_versions)
{
    uint8_t buf[256];
    size_t n = unhex(PCB_AND_CR, buf, sizeof buf);

    buf[0] = 40; /* cbSize disagrees with cchPCB */
    expect_error(buf, n, "does not match cchPCB 10");
    buf[0] = 38;
    buf[16] = 11;
    expect_error(buf, 18, "does not match cchPCB 11"); /* refused before the blob arrives */
    buf[16] = 10;
    buf[8] = 3;
    expect_error(buf, 12, "version 3");
    buf[8] = 2;

    uint8_t v1[16] = {17, 0, 0, 0, 0, 0, 0, 0, 1};
    expect_error(v1, sizeof v1, "v1 PDU is 16 bytes");
    v1[0] = 8;
    expect_error(v1, 4, "smaller than the 16-byte header");

    /* oversize: refused from the first four bytes, not after reading 100 KB */
    uint8_t big[4] = {0xA0, 0x86, 0x01, 0x00};
    expect_error(big, 4, "over the 1042 bytes");
    uint8_t maxed[18] = {0x12, 0x04, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02};
    /* 18 + 2 * 512 = 1042: the largest accepted; one more unit is refused */
    struct gw_preconnection p;
    size_t used;
    ck_assert_int_eq(gw_preconnection_parse(maxed, sizeof maxed, &p, &used, NULL), GW_NEED_MORE);
    maxed[0] = 0x14;
    maxed[16] = 0x01;
    expect_error(maxed, sizeof maxed, "over the 1042 bytes");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_preconnection");
    TCase *tc = tcase_create("preconnection");
    tcase_add_test(tc, xfreerdp_v2_blob_and_the_cr_behind_it);
    tcase_add_test(tc, v1_id_only);
    tcase_add_test(tc, non_ascii_blob_becomes_utf8);
    tcase_add_test(tc, bad_sizes_and_versions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
