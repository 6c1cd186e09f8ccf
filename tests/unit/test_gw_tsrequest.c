/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CredSSP TSRequest DER: real xfreerdp 2.11 bytes (its NEGOTIATE round and its AUTHENTICATE
 * round, captured against a test server with /u:alice /d:LAB), every prefix, lying lengths,
 * and encode -> decode round trips.
 */
#include "tsrequest.h"

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

/* xfreerdp's first TSRequest: version 6, NTLM NEGOTIATE, clientNonce. */
static const char TS_NEGOTIATE[] =
    "305ba003020106a130302e302ca02a04284e544c4d5353500001000000b78208e20000000000000000000000"
    "00000000000601b11d0000000fa5220420d4d7577454a67d174b207282f607303d62d2434ac7b91a9fc67618"
    "bf9d9be7c8";

/* xfreerdp's third TSRequest: NTLM AUTHENTICATE, pubKeyAuth, clientNonce. */
static const char TS_AUTHENTICATE[] =
    "308201e9a003020106a18201883082018430820180a082017c048201784e544c4d5353500003000000180018"
    "006c000000e400e4008400000006000600580000000a000a005e000000040004006800000010001000680100"
    "0035b288e20601b11d0000000f70bcdf9be0d4a8e6652008e9f86af4324c004100420061006c006900630065"
    "0076006d000000000000000000000000000000000000000000000000003e492cf9aafe48a9e3676036715510"
    "c601010000000000000080209bcb82d8010e4a1cf007cb06b100000000020010004400450053004b0050004f"
    "004f004c000100040047005700040018006400650073006b0070006f006f006c002e006c006100620003001e"
    "00670077002e006400650073006b0070006f006f006c002e006c0061006200070008000080209bcb82d80106"
    "000400020000000a00100000000000000000000000000000000000090022005400450052004d005300520056"
    "002f003100320037002e0030002e0030002e00310000000000000000000000000000000000f11c46e48a28b1"
    "f8081b406dd0b3f31ba3320430010000002756b26b12a02bf30000000037a25a240f54188c86999473c3b6c8"
    "cf094876e6079fea5efdf4cd5ec01378cba5220420d4d7577454a67d174b207282f607303d62d2434ac7b91a"
    "9fc67618bf9d9be7c8";

START_TEST(xfreerdp_negotiate_round)
{
    uint8_t buf[1024];
    size_t n = unhex(TS_NEGOTIATE, buf, sizeof buf), total = 0, used = 0;
    struct gw_tsrequest r;
    struct dp_err err = {0};

    ck_assert_int_eq(gw_tsrequest_frame_len(buf, 2, &total, &err), GW_OK);
    ck_assert_uint_eq(total, n);
    ck_assert_int_eq(gw_tsrequest_decode(buf, n, &r, &used, &err), GW_OK);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_eq(r.version, 6);
    ck_assert_uint_eq(r.nego_token_count, 1);
    ck_assert_uint_eq(r.nego_token_len, 40);
    ck_assert_mem_eq(r.nego_token, "NTLMSSP\0\x01\0\0\0", 12);
    ck_assert_ptr_null(r.auth_info);
    ck_assert_ptr_null(r.pub_key_auth);
    ck_assert_int_eq(r.has_error_code, 0);
    ck_assert_uint_eq(r.client_nonce_len, 32);
    ck_assert_ptr_eq(r.client_nonce, buf + n - 32);

    /* Our encoder writes FreeRDP's bytes back exactly. */
    uint8_t out[1024];
    ck_assert_uint_eq(gw_tsrequest_encoded_len(&r), n);
    ck_assert_int_eq(gw_tsrequest_encode(&r, out, sizeof out, &err), (int)n);
    ck_assert_mem_eq(out, buf, n);
}
END_TEST

START_TEST(xfreerdp_authenticate_round)
{
    uint8_t buf[1024];
    size_t n = unhex(TS_AUTHENTICATE, buf, sizeof buf), total = 0, used = 0;
    struct gw_tsrequest r;
    struct dp_err err = {0};

    ck_assert_int_eq(gw_tsrequest_frame_len(buf, 1, &total, &err), GW_NEED_MORE);
    ck_assert_int_eq(gw_tsrequest_frame_len(buf, 3, &total, &err), GW_NEED_MORE);
    ck_assert_int_eq(gw_tsrequest_frame_len(buf, 4, &total, &err), GW_OK);
    ck_assert_uint_eq(total, n);
    ck_assert_uint_eq(n, 493);
    ck_assert_int_eq(gw_tsrequest_decode(buf, n, &r, &used, &err), GW_OK);
    ck_assert_uint_eq(r.version, 6);
    ck_assert_uint_eq(r.nego_token_len, 376);
    ck_assert_mem_eq(r.nego_token, "NTLMSSP\0\x03\0\0\0", 12);
    ck_assert_uint_eq(r.pub_key_auth_len, 48);
    ck_assert_uint_eq(r.client_nonce_len, 32);

    uint8_t out[1024];
    ck_assert_int_eq(gw_tsrequest_encode(&r, out, sizeof out, &err), (int)n);
    ck_assert_mem_eq(out, buf, n);

    /* Every prefix waits; the frame length is known from the fourth byte on. */
    for (size_t k = 0; k < n; k++) {
        size_t u = 1;
        ck_assert_int_eq(gw_tsrequest_decode(buf, k, &r, &u, &err), GW_NEED_MORE);
        ck_assert_uint_eq(u, 0);
    }
    /* Trailing bytes (the next record) are not consumed. */
    buf[n] = 0x30;
    ck_assert_int_eq(gw_tsrequest_decode(buf, n + 1, &r, &used, &err), GW_OK);
    ck_assert_uint_eq(used, n);
}
END_TEST

static void expect_error(const uint8_t *b, size_t n, const char *part)
{
    struct gw_tsrequest r;
    struct dp_err err = {0};
    size_t used = 9;
    int rc = gw_tsrequest_decode(b, n, &r, &used, &err);
    ck_assert_msg(rc == GW_ERROR, "decoded to %d where \"%s\" was expected", rc, part);
    ck_assert_uint_eq(used, 0);
    ck_assert_ptr_null(r.nego_token);
    ck_assert_msg(strstr(dp_err_msg(&err), part), "\"%s\" lacks \"%s\"", dp_err_msg(&err), part);
}

START_TEST(lying_lengths_and_bad_shapes)
{
    uint8_t buf[1024], bad[1024];
    size_t n = unhex(TS_NEGOTIATE, buf, sizeof buf);

    /* negoToken OCTET STRING (at offset 15: 04 28) claims one byte more than [0] holds */
    memcpy(bad, buf, n);
    ck_assert_uint_eq(bad[16], 0x28);
    bad[16] = 0x29;
    expect_error(bad, n, "longer than the structure that holds it");
    /* [1] claims less than the SEQUENCE OF inside it */
    memcpy(bad, buf, n);
    ck_assert_uint_eq(bad[7], 0xa1);
    bad[8] = 0x2f;
    expect_error(bad, n, "negoTokens is longer");
    /* [1] claims more: the SEQUENCE OF no longer fills it */
    memcpy(bad, buf, n);
    bad[8] = 0x31;
    expect_error(bad, n, "stray bytes after negoTokens");
    /* clientNonce of 31 bytes */
    static const uint8_t short_nonce[] = {
        0x30, 0x26, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa5, 0x1f, 0x04, 0x1d, 0, 0, 0,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0};
    expect_error(short_nonce, sizeof short_nonce, "MS-CSSP says 32");
    /* fields out of order, a duplicate, an unknown one, a missing version */
    static const uint8_t order[] = {0x30, 0x09, 0xa2, 0x02, 0x04, 0x00,
                                    0xa0, 0x03, 0x02, 0x01, 0x06};
    expect_error(order, sizeof order, "tag order");
    static const uint8_t dup[] = {0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01,
                                  0x06, 0xa0, 0x03, 0x02, 0x01, 0x06};
    expect_error(dup, sizeof dup - 0, "tag order");
    static const uint8_t unknown[] = {0x30, 0x09, 0xa0, 0x03, 0x02, 0x01,
                                      0x06, 0xa6, 0x02, 0x04, 0x00};
    expect_error(unknown, sizeof unknown, "none of [0]..[5]");
    static const uint8_t noversion[] = {0x30, 0x04, 0xa2, 0x02, 0x04, 0x00};
    expect_error(noversion, sizeof noversion, "version [0] is missing");
    static const uint8_t empty_nego[] = {0x30, 0x09, 0xa0, 0x03, 0x02, 0x01,
                                         0x06, 0xa1, 0x02, 0x30, 0x00};
    expect_error(empty_nego, sizeof empty_nego, "no NegoData");
    static const uint8_t indefinite[] = {0x30, 0x80, 0xa0, 0x03, 0x02, 0x01, 0x06, 0, 0};
    expect_error(indefinite, sizeof indefinite, "indefinite");
    static const uint8_t not_der[] = {0x16, 0x03, 0x01};
    expect_error(not_der, sizeof not_der, "not a DER SEQUENCE");
    static const uint8_t huge_int[] = {0x30, 0x0a, 0xa0, 0x08, 0x02, 0x06, 1, 2, 3, 4, 5, 6};
    expect_error(huge_int, sizeof huge_int, "6-byte INTEGER");

    /* oversize: refused from the header alone */
    static const uint8_t big[] = {0x30, 0x83, 0x01, 0x00, 0x01};
    size_t total;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_tsrequest_frame_len(big, sizeof big, &total, &err), GW_ERROR);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "over the 65536"));
}
END_TEST

START_TEST(encode_decode_round_trip)
{
    uint8_t token[300], nonce[32], pub[70], out[1024];
    for (size_t i = 0; i < sizeof token; i++)
        token[i] = (uint8_t)i;
    memset(nonce, 0xAB, sizeof nonce);
    memset(pub, 0x5A, sizeof pub);
    static const uint32_t codes[] = {0, 0x7F, 0x80, 0xFFFF, 0xC000006D, 0x80090308, 0xFFFFFFFF};
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++) {
        struct gw_tsrequest in = {.version = (uint32_t)(c == 6 ? 0xFFFFFFFFu : 2 + c),
                                  .nego_token = token,
                                  .nego_token_len = 10 + 40 * c,
                                  .pub_key_auth = c % 2 ? pub : NULL,
                                  .pub_key_auth_len = sizeof pub,
                                  .auth_info = c == 3 ? pub : NULL,
                                  .auth_info_len = 0,
                                  .has_error_code = 1,
                                  .error_code = codes[c],
                                  .client_nonce = nonce,
                                  .client_nonce_len = sizeof nonce};
        int w = gw_tsrequest_encode(&in, out, sizeof out, NULL);
        ck_assert_int_gt(w, 0);
        ck_assert_uint_eq((size_t)w, gw_tsrequest_encoded_len(&in));
        struct gw_tsrequest r;
        size_t used;
        struct dp_err err = {0};
        ck_assert_msg(gw_tsrequest_decode(out, (size_t)w, &r, &used, &err) == GW_OK, "%s",
                      dp_err_msg(&err));
        ck_assert_uint_eq(r.version, in.version);
        ck_assert_uint_eq(r.nego_token_len, in.nego_token_len);
        ck_assert_mem_eq(r.nego_token, token, in.nego_token_len);
        ck_assert_int_eq(r.pub_key_auth != NULL, in.pub_key_auth != NULL);
        ck_assert_int_eq(r.auth_info != NULL, c == 3); /* present but empty stays present */
        ck_assert_uint_eq(r.auth_info_len, 0);
        ck_assert_int_eq(r.has_error_code, 1);
        ck_assert_uint_eq(r.error_code, codes[c]);
        ck_assert_mem_eq(r.client_nonce, nonce, 32);
        /* The encoder refuses a buffer one byte short. */
        ck_assert_int_eq(gw_tsrequest_encode(&in, out, (size_t)w - 1, NULL), -1);
    }
    /* NTSTATUS is written as Windows does: signed, 4 bytes */
    struct gw_tsrequest e = {.version = 6, .has_error_code = 1, .error_code = 0xC000006D};
    static const uint8_t want[] = {0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa4,
                                   0x06, 0x02, 0x04, 0xc0, 0x00, 0x00, 0x6d};
    ck_assert_int_eq(gw_tsrequest_encode(&e, out, sizeof out, NULL), 15);
    ck_assert_mem_eq(out, want, sizeof want);

    /* Too big to encode */
    static uint8_t huge[GW_TSREQUEST_MAX];
    struct gw_tsrequest h = {.version = 6, .nego_token = huge, .nego_token_len = sizeof huge};
    ck_assert_uint_eq(gw_tsrequest_encoded_len(&h), 0);
    ck_assert_int_eq(gw_tsrequest_encode(&h, out, sizeof out, NULL), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_tsrequest");
    TCase *tc = tcase_create("tsrequest");
    tcase_add_test(tc, xfreerdp_negotiate_round);
    tcase_add_test(tc, xfreerdp_authenticate_round);
    tcase_add_test(tc, lying_lengths_and_bad_shapes);
    tcase_add_test(tc, encode_decode_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
