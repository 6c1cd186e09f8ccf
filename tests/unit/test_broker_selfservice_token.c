/* SPDX-License-Identifier: Apache-2.0 */
/* Routing tokens: shape, HMAC binding to user, VM and expiry, and refusal of anything else. */
#include "routing_token.h"
#include "selfservice_crypto.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t master[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char raw[] = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"; /* 43 */
static uint8_t key[32];

static void setup(void)
{
    ck_assert_int_eq(strlen(raw), ROUTING_TOKEN_RAW_LEN);
    ck_assert_int_eq(routing_token_key(master, key), 0);
}

START_TEST(compose_split_roundtrip)
{
    char tok[ROUTING_TOKEN_TEXT_MAX];
    struct routing_token_parts p;
    ck_assert_int_eq(routing_token_compose(key, raw, 7, 42, 1800000060, tok, sizeof tok), 0);
    /* RAW.EXPIRES.MAC, URL- and cookie-safe, and short enough for the X.224 cookie line. */
    ck_assert_int_eq(strncmp(tok, raw, 43), 0);
    ck_assert_int_eq(tok[43], '.');
    ck_assert_int_eq(strncmp(tok + 44, "7.42.1800000060.", 16), 0);
    ck_assert_uint_lt(strlen(tok), ROUTING_TOKEN_TEXT_MAX);
    ck_assert_uint_eq(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                  "-_."),
                      strlen(tok));
    ck_assert_int_eq(routing_token_split(tok, &p), 0);
    ck_assert_str_eq(p.raw, raw);
    ck_assert_int_eq(p.expires, 1800000060);
    ck_assert_int_eq(p.user_id, 7);
    ck_assert_int_eq(p.vm_id, 42);
    ck_assert_int_eq(routing_token_valid(key, &p, 1800000000), 1);
}
END_TEST

/* Rewrites the dotted field `field` (1 user, 2 VM, 3 expiry) of tok to `value`. */
static void swap_field(const char *tok, int field, const char *value, char *out, size_t cap)
{
    const char *start = tok;
    for (int i = 0; i < field; i++)
        start = strchr(start, '.') + 1;
    const char *end = strchr(start, '.');
    snprintf(out, cap, "%.*s%s%s", (int)(start - tok), tok, value, end);
}

START_TEST(bound_to_user_vm_expiry_and_key)
{
    char tok[ROUTING_TOKEN_TEXT_MAX], moved[ROUTING_TOKEN_TEXT_MAX];
    struct routing_token_parts p;
    ck_assert_int_eq(routing_token_compose(key, raw, 7, 42, 1800000060, tok, sizeof tok), 0);
    ck_assert_int_eq(routing_token_split(tok, &p), 0);
    ck_assert_int_eq(routing_token_valid(key, &p, 1800000060), 0); /* expired */
    ck_assert_int_eq(routing_token_valid(key, &p, 1900000000), 0);
    uint8_t other_master[32] = {0}, other[32];
    ck_assert_int_eq(routing_token_key(other_master, other), 0);
    ck_assert_int_eq(routing_token_valid(other, &p, 1800000000), 0); /* other broker */
    /* Another user, another VM or a later expiry written into the token break the MAC. */
    const char *values[] = {"8", "43", "1800009999"};
    for (int f = 0; f < 3; f++) {
        swap_field(tok, f + 1, values[f], moved, sizeof moved);
        ck_assert_int_eq(routing_token_split(moved, &p), 0);
        ck_assert_msg(routing_token_valid(key, &p, 1800000000) == 0, "field %d not bound", f + 1);
    }
    /* One changed character of the MAC, or of the random part. */
    char flipped[ROUTING_TOKEN_TEXT_MAX];
    snprintf(flipped, sizeof flipped, "%s", tok);
    size_t last = strlen(flipped) - 1;
    flipped[last] = flipped[last] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(routing_token_split(flipped, &p), 0);
    ck_assert_int_eq(routing_token_valid(key, &p, 1800000000), 0);
    snprintf(flipped, sizeof flipped, "%s", tok);
    flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(routing_token_split(flipped, &p), 0);
    ck_assert_int_eq(routing_token_valid(key, &p, 1800000000), 0);
}
END_TEST

START_TEST(split_refuses_other_shapes)
{
    char tok[ROUTING_TOKEN_TEXT_MAX], bad[256];
    struct routing_token_parts p;
    ck_assert_int_eq(routing_token_compose(key, raw, 1, 1, 1800000060, tok, sizeof tok), 0);
    const char *mac = strrchr(tok, '.') + 1;
    const char *cases[] = {
        "", raw,                                       /* unsigned (old-style) token */
        "forged-token-forged-token-forged-token-1234", /* what test_broker_api.sh sends */
        "3640205228.15629.0000",                       /* an mstsc load-balancing cookie */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(routing_token_split(cases[i], &p) != 0, "accepted %s", cases[i]);
    const char *shapes[] = {
        "%s.1.1.1800000060.%s.x", /* a sixth part */
        "%s.1.1800000060.%s",     /* no VM id */
        "%s.1.1.-5.%s",
        "%s.0.1.1800000060.%s",
        "%s.1.0.1800000060.%s",
        "%s.1.1..%s",
        "%s.1.1.99999999999999999999.%s", /* overflow */
        "%s.1.1.18e8.%s",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(bad, sizeof bad, shapes[i], raw, mac);
        ck_assert_msg(routing_token_split(bad, &p) != 0, "accepted %s", bad);
    }
    snprintf(bad, sizeof bad, "%s.1.1.1800000060.%.42s", raw, mac); /* short MAC */
    ck_assert_int_ne(routing_token_split(bad, &p), 0);
    snprintf(bad, sizeof bad, "%.42s+.1.1.1800000060.%s", raw, mac); /* not base64url */
    ck_assert_int_ne(routing_token_split(bad, &p), 0);
}
END_TEST

START_TEST(compose_refuses_bad_raw_and_small_buffers)
{
    char tok[ROUTING_TOKEN_TEXT_MAX];
    ck_assert_int_ne(routing_token_compose(key, "short", 1, 1, 10, tok, sizeof tok), 0);
    ck_assert_int_ne(routing_token_compose(key, "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcde", 1, 1,
                                           10, tok, sizeof tok),
                     0);
    ck_assert_int_ne(routing_token_compose(key, raw, 1, 1, 0, tok, sizeof tok), 0);
    ck_assert_int_ne(routing_token_compose(key, raw, 0, 1, 10, tok, sizeof tok), 0);
    ck_assert_int_ne(routing_token_compose(key, raw, 1, 0, 10, tok, sizeof tok), 0);
    ck_assert_int_ne(routing_token_compose(key, raw, 1, 1, 10, tok, 60), 0);
}
END_TEST

START_TEST(derived_keys_differ_by_label_and_b64url_is_unpadded)
{
    uint8_t a[32], b[32];
    ck_assert_int_eq(ss_derive_key(master, "x", a), 0);
    ck_assert_int_eq(ss_derive_key(master, "y", b), 0);
    ck_assert(memcmp(a, b, 32) != 0);
    ck_assert(memcmp(a, master, 32) != 0);
    char out[8];
    const uint8_t bytes[] = {0xfb, 0xff};
    ss_b64url(bytes, 2, out);
    ck_assert_str_eq(out, "-_8");
    ck_assert_int_eq(ss_str_eq_ct("abc", "abc"), 1);
    ck_assert_int_eq(ss_str_eq_ct("abc", "abcd"), 0);
    ck_assert_int_eq(ss_str_eq_ct("abc", "ab"), 0);
    ck_assert_int_eq(ss_str_eq_ct("abc", "abd"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_selfservice_token");
    TCase *tc = tcase_create("token");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, compose_split_roundtrip);
    tcase_add_test(tc, bound_to_user_vm_expiry_and_key);
    tcase_add_test(tc, split_refuses_other_shapes);
    tcase_add_test(tc, compose_refuses_bad_raw_and_small_buffers);
    tcase_add_test(tc, derived_keys_differ_by_label_and_b64url_is_unpadded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
