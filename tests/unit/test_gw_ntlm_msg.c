/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NTLM messages: user and domain out of xfreerdp's real AUTHENTICATE (/u:alice /d:LAB),
 * message types, and every offset/length lie refused before it is followed.
 */
#include "ntlm_msg.h"

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

static const char NEGOTIATE[] =
    "4e544c4d5353500001000000b78208e2000000000000000000000000000000000601b11d0000000f";

static const char AUTHENTICATE[] =
    "4e544c4d5353500003000000180018006c000000e400e4008400000006000600580000000a000a005e000000"
    "0400040068000000100010006801000035b288e20601b11d0000000f70bcdf9be0d4a8e6652008e9f86af432"
    "4c004100420061006c0069006300650076006d00000000000000000000000000000000000000000000000000"
    "3e492cf9aafe48a9e3676036715510c601010000000000000080209bcb82d8010e4a1cf007cb06b100000000"
    "020010004400450053004b0050004f004f004c000100040047005700040018006400650073006b0070006f00"
    "6f006c002e006c006100620003001e00670077002e006400650073006b0070006f006f006c002e006c006100"
    "6200070008000080209bcb82d80106000400020000000a001000000000000000000000000000000000000900"
    "22005400450052004d005300520056002f003100320037002e0030002e0030002e0031000000000000000000"
    "0000000000000000f11c46e48a28b1f8081b406dd0b3f31b";

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

START_TEST(xfreerdp_authenticate_names)
{
    uint8_t m[512];
    size_t n = unhex(AUTHENTICATE, m, sizeof m);
    struct gw_ntlm_auth a;
    struct dp_err err = {0};

    ck_assert_int_eq(gw_ntlm_message_type(m, n, &err), GW_NTLM_AUTHENTICATE);
    ck_assert_msg(gw_ntlm_auth_names(m, n, &a, &err) == 0, "%s", dp_err_msg(&err));
    ck_assert_str_eq(a.user, "alice");
    ck_assert_uint_eq(a.user_len, 5);
    ck_assert_str_eq(a.domain, "LAB");
    ck_assert_uint_eq(a.domain_len, 3);
    ck_assert_uint_ne(a.negotiate_flags & GW_NTLMSSP_NEGOTIATE_UNICODE, 0);

    uint8_t neg[64];
    size_t nn = unhex(NEGOTIATE, neg, sizeof neg);
    ck_assert_int_eq(gw_ntlm_message_type(neg, nn, NULL), GW_NTLM_NEGOTIATE);
    dp_err_clear(&err);
    ck_assert_int_eq(gw_ntlm_auth_names(neg, nn, &a, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "expected AUTHENTICATE"));
    neg[8] = 2;
    ck_assert_int_eq(gw_ntlm_message_type(neg, nn, NULL), GW_NTLM_CHALLENGE);
    neg[8] = 4;
    ck_assert_int_eq(gw_ntlm_message_type(neg, nn, NULL), -1);
    ck_assert_int_eq(gw_ntlm_message_type(neg, 11, NULL), -1);
    static const uint8_t spnego[] = {0x60, 0x28, 0x06, 0x06, 0x2b, 0x06,
                                     0x01, 0x05, 0x05, 0x02, 0xa0, 0x1e};
    dp_err_clear(&err);
    ck_assert_int_eq(gw_ntlm_message_type(spnego, sizeof spnego, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "only speaks NTLM"));
}
END_TEST

/* Applies one corruption to the real message and expects the given reason. */
static void expect_error(size_t at, uint32_t value, int width, size_t len_cut, const char *part)
{
    uint8_t m[512];
    size_t n = unhex(AUTHENTICATE, m, sizeof m);
    if (width == 2)
        put16(m + at, (uint16_t)value);
    else if (width == 4)
        put32(m + at, value);
    struct gw_ntlm_auth a;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_ntlm_auth_names(m, len_cut ? len_cut : n, &a, &err), -1);
    ck_assert_str_eq(a.user, "");
    ck_assert_msg(strstr(dp_err_msg(&err), part), "\"%s\" lacks \"%s\"", dp_err_msg(&err), part);
}

START_TEST(offset_and_length_lies)
{
    /* UserNameFields at 36: Len, MaxLen, BufferOffset */
    expect_error(40, 376, 4, 0, "outside the 376-byte message"); /* offset at the very end */
    expect_error(40, 0xFFFFFFF0u, 4, 0, "outside");              /* offset wraps */
    expect_error(36, 0xFFFF, 2, 0, "outside");                   /* length past the end */
    expect_error(40, 8, 4, 0, "outside");                        /* points into the header */
    expect_error(36, 9, 2, 0, "odd length");
    expect_error(28, 3, 2, 0, "odd length"); /* DomainName */
    expect_error(44 + 0, 0, 0, 63, "too short for its 64-byte header");
    expect_error(60, 0xE2888234u, 4, 0, "OEM code page");     /* UNICODE flag cleared */
    expect_error(0, 0, 0, 96, "outside the 96-byte message"); /* cut inside UserName */
}
END_TEST

START_TEST(names_in_utf16_and_their_limits)
{
    /* A hand-made AUTHENTICATE: user "Jürgen" (with a ü), domain empty with an odd offset. */
    uint8_t m[64 + 2 * 300] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3};
    static const uint16_t user[] = {'J', 0xFC, 'r', 'g', 'e', 'n'};
    put32(m + 60, GW_NTLMSSP_NEGOTIATE_UNICODE);
    put16(m + 36, sizeof user);
    put32(m + 40, 64);
    for (size_t i = 0; i < 6; i++)
        put16(m + 64 + 2 * i, user[i]);
    put32(m + 32, 0xDEADBEEF); /* empty DomainName: its offset is never followed */
    struct gw_ntlm_auth a;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_ntlm_auth_names(m, 64 + sizeof user, &a, &err), 0);
    ck_assert_str_eq(a.user, "J\xC3\xBCrgen");
    ck_assert_str_eq(a.domain, "");

    /* NUL inside a name would cut it short downstream: refused */
    put16(m + 66, 0);
    ck_assert_int_eq(gw_ntlm_auth_names(m, 64 + sizeof user, &a, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "NUL"));

    /* 256 characters are accepted, 257 refused */
    for (size_t i = 0; i < 300; i++)
        put16(m + 64 + 2 * i, 0x4E2D); /* 中: three UTF-8 bytes each */
    put16(m + 36, 2 * GW_NTLM_NAME_MAX_UNITS);
    ck_assert_int_eq(gw_ntlm_auth_names(m, sizeof m, &a, NULL), 0);
    ck_assert_uint_eq(a.user_len, 3 * GW_NTLM_NAME_MAX_UNITS);
    put16(m + 36, 2 * GW_NTLM_NAME_MAX_UNITS + 2);
    dp_err_clear(&err);
    ck_assert_int_eq(gw_ntlm_auth_names(m, sizeof m, &a, &err), -1);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "at most 256"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_ntlm_msg");
    TCase *tc = tcase_create("ntlm_msg");
    tcase_add_test(tc, xfreerdp_authenticate_names);
    tcase_add_test(tc, offset_and_length_lies);
    tcase_add_test(tc, names_in_utf16_and_their_limits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
