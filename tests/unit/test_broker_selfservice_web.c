/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's session cookie and CSRF tokens, and the gateway_address setting. */
#include "config.h"
#include "cookie.h"
#include "csrf.h"
#include "err.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t master[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                   9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

START_TEST(cookie_find_cases)
{
    char v[64];
    ck_assert_int_eq(cookie_find("deskpool_session=abc", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_str_eq(v, "abc");
    ck_assert_int_eq(cookie_find("a=1; deskpool_session=t-_9;b=2", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_str_eq(v, "t-_9");
    ck_assert_int_eq(cookie_find("  deskpool_session=\"q\" ", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_str_eq(v, "q");
    /* The first of two wins (the most specific path comes first). */
    ck_assert_int_eq(
        cookie_find("deskpool_session=one; deskpool_session=two", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_str_eq(v, "one");
    /* A cookie whose name only ends or starts the same is another cookie. */
    ck_assert_int_ne(cookie_find("xdeskpool_session=1", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session_old=1", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session=", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session=a\\b", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session=a b", PORTAL_COOKIE, v, sizeof v), 0);
    ck_assert_int_ne(cookie_find("deskpool_session=0123456789", PORTAL_COOKIE, v, 8), 0);
}
END_TEST

START_TEST(set_cookie_is_secure)
{
    char h[256];
    ck_assert_int_eq(cookie_session_header("tok", 3600, h, sizeof h), 0);
    ck_assert_str_eq(h, "deskpool_session=tok; Path=/; Max-Age=3600; Secure; HttpOnly; "
                        "SameSite=Strict");
    ck_assert_int_eq(cookie_session_header("", 0, h, sizeof h), 0);
    ck_assert_ptr_nonnull(strstr(h, "deskpool_session=; Path=/; Max-Age=0;"));
    ck_assert_int_ne(cookie_session_header("a;b", 10, h, sizeof h), 0);
    ck_assert_int_ne(cookie_session_header("tok", 10, h, 20), 0);
}
END_TEST

START_TEST(csrf_token_bound_to_session_and_key)
{
    uint8_t key[32], other[32];
    char t[CSRF_TOKEN_LEN], t2[CSRF_TOKEN_LEN];
    ck_assert_int_eq(csrf_key(master, key), 0);
    ck_assert_int_eq(csrf_token(key, "session-a", t), 0);
    ck_assert_int_eq(strlen(t), 43);
    ck_assert_int_eq(csrf_token(key, "session-a", t2), 0);
    ck_assert_str_eq(t, t2); /* stateless: the same for the session's life */
    ck_assert_int_eq(csrf_check(key, "session-a", t), 1);
    ck_assert_int_eq(csrf_check(key, "session-b", t), 0);
    ck_assert_int_eq(csrf_check(key, "session-a", NULL), 0);
    ck_assert_int_eq(csrf_check(key, "session-a", ""), 0);
    ck_assert_int_eq(csrf_check(key, "", t), 0);
    t2[0] = t2[0] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(csrf_check(key, "session-a", t2), 0);
    uint8_t m2[32] = {0};
    ck_assert_int_eq(csrf_key(m2, other), 0);
    ck_assert_int_eq(csrf_check(other, "session-a", t), 0);
    /* The session token itself is never a valid CSRF token. */
    ck_assert_int_eq(csrf_check(key, "session-a", "session-a"), 0);
}
END_TEST

START_TEST(gateway_address_setting)
{
    struct dp_config c;
    struct dp_err err = {0};
    config_defaults(&c);
    ck_assert_str_eq(c.gateway_address, "");
    ck_assert_int_eq(
        config_parse_string(&c, "[broker]\ngateway_address = gw.example.org:3389\n", "t", &err), 0);
    ck_assert_str_eq(c.gateway_address, "gw.example.org:3389");
    config_defaults(&c);
    ck_assert_int_ne(config_parse_string(&c, "[broker]\ngateway_address = a b\n", "t.conf", &err),
                     0);
    ck_assert_ptr_nonnull(strstr(err.msg, "gateway_address"));
    ck_assert_ptr_nonnull(strstr(err.msg, "t.conf:2"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_selfservice_web");
    TCase *tc = tcase_create("web");
    tcase_add_test(tc, cookie_find_cases);
    tcase_add_test(tc, set_cookie_is_secure);
    tcase_add_test(tc, csrf_token_bound_to_session_and_key);
    tcase_add_test(tc, gateway_address_setting);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
