/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-gw's INI config: defaults, every section, and typos that must not pass. */
#include "gw_config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int load(struct gw_config *c, const char *text, struct dp_err *err)
{
    gw_config_defaults(c);
    return gw_config_load_string(c, text, "test.ini", err);
}

START_TEST(defaults)
{
    struct gw_config c;
    gw_config_defaults(&c);
    ck_assert_str_eq(c.listen_host, "0.0.0.0");
    ck_assert_int_eq(c.listen_port, 3389);
    ck_assert_int_eq(c.metrics_port, 9389);
    ck_assert_str_eq(c.metrics_host, "127.0.0.1");
    ck_assert_int_gt(c.handshake_timeout_s, 0);
    ck_assert_int_eq(c.offer_hybrid_ex, 0);
    struct dp_err err = {0};
    ck_assert_int_eq(gw_config_check(&c, &err), -1); /* no broker yet */
    ck_assert_ptr_nonnull(strstr(err.msg, "[broker] url"));
}
END_TEST

START_TEST(full_config)
{
    struct gw_config c;
    struct dp_err err = {0};
    const char *ini = "[gateway]\nlisten = [::1]:13389\nstate_dir = /tmp/gw\n"
                      "certificate = /etc/gw.crt\nkey = /etc/gw.key\nlog_level = debug\n"
                      "offer_hybrid_ex = yes\n"
                      "[broker]\nurl = https://broker:8443\nca = /etc/ca.pem\n"
                      "pin_sha256 = "
                      "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
                      "key_file = /etc/gw.key.hex\ntimeout = 5\n"
                      "[limits]\nhandshake_timeout = 7\nmax_connections = 100\n"
                      "max_per_source = 3\nidle_timeout = 600\ndesktop_wait = 90\n"
                      "relay_buffer_kb = 512\n"
                      "[metrics]\nlisten = 0.0.0.0:9999\n";
    ck_assert_msg(load(&c, ini, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(c.listen_host, "::1");
    ck_assert_int_eq(c.listen_port, 13389);
    ck_assert_str_eq(c.cert_file, "/etc/gw.crt");
    ck_assert_int_eq(c.offer_hybrid_ex, 1);
    ck_assert_str_eq(c.broker_url, "https://broker:8443");
    ck_assert_int_eq(c.broker_timeout_s, 5);
    ck_assert_int_eq(c.handshake_timeout_s, 7);
    ck_assert_int_eq(c.max_connections, 100);
    ck_assert_int_eq(c.max_per_source, 3);
    ck_assert_int_eq(c.idle_timeout_s, 600);
    ck_assert_int_eq(c.desktop_wait_s, 90);
    ck_assert_int_eq(c.relay_buffer_kb, 512);
    ck_assert_int_eq(c.metrics_port, 9999);
    ck_assert_int_eq(gw_config_check(&c, &err), 0);
}
END_TEST

START_TEST(metrics_can_be_turned_off)
{
    struct gw_config c;
    struct dp_err err = {0};
    ck_assert_int_eq(load(&c, "[metrics]\nlisten =\n", &err), 0);
    ck_assert_int_eq(c.metrics_port, 0);
}
END_TEST

START_TEST(typos_are_errors_that_name_the_key)
{
    static const struct {
        const char *ini, *needle;
    } bad[] = {
        {"[gateway]\nlisten = 3389\n", "listen"},
        {"[gateway]\nlisten = 0.0.0.0:99999\n", "listen"},
        {"[gateway]\nlistn = 0.0.0.0:3389\n", "unknown key \"listn\""},
        {"[gatway]\nlisten = 0.0.0.0:3389\n", "[gatway]"},
        {"[limits]\nhandshake_timeout = soon\n", "handshake_timeout"},
        {"[limits]\nmax_connections = 0\n", "max_connections"},
        {"[limits]\nrelay_buffer_kb = 16\n", "relay_buffer_kb"},
        {"[broker]\npin_sha256 = abc\n", "pin_sha256"},
        {"[gateway]\nlog_level = loud\n", "log_level"},
        {"[gateway]\noffer_hybrid_ex = maybe\n", "offer_hybrid_ex"},
        {"not ini at all\n", "line 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gw_config c;
        struct dp_err err = {0};
        ck_assert_msg(load(&c, bad[i].ini, &err) == -1, "accepted: %s", bad[i].ini);
        ck_assert_msg(strstr(err.msg, bad[i].needle), "\"%s\" does not mention %s", err.msg,
                      bad[i].needle);
    }
}
END_TEST

START_TEST(check_wants_a_usable_broker)
{
    struct gw_config c;
    struct dp_err err = {0};
    ck_assert_int_eq(load(&c, "[broker]\nurl = ftp://x\nkey_file = /k\n", &err), 0);
    ck_assert_int_eq(gw_config_check(&c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "https://"));
    dp_err_clear(&err);
    ck_assert_int_eq(load(&c, "[broker]\nurl = https://x:1\n", &err), 0);
    ck_assert_int_eq(gw_config_check(&c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "key_file"));
    dp_err_clear(&err);
    ck_assert_int_eq(load(&c,
                          "[broker]\nurl = https://x:1\nkey_file = /k\n[limits]\n"
                          "max_connections = 5\nmax_per_source = 6\n",
                          &err),
                     0);
    ck_assert_int_eq(gw_config_check(&c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "max_per_source"));
}
END_TEST

START_TEST(hostport)
{
    char h[64];
    int p;
    ck_assert_int_eq(gw_config_parse_hostport("10.0.0.1:3389", h, sizeof h, &p), 0);
    ck_assert_str_eq(h, "10.0.0.1");
    ck_assert_int_eq(p, 3389);
    ck_assert_int_eq(gw_config_parse_hostport("[fe80::1]:1", h, sizeof h, &p), 0);
    ck_assert_str_eq(h, "fe80::1");
    ck_assert_int_eq(gw_config_parse_hostport(":3389", h, sizeof h, &p), -1);
    ck_assert_int_eq(gw_config_parse_hostport("host:", h, sizeof h, &p), -1);
    ck_assert_int_eq(gw_config_parse_hostport("host:0", h, sizeof h, &p), -1);
    ck_assert_int_eq(gw_config_parse_hostport("[::1]3389", h, sizeof h, &p), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gw_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, full_config);
    tcase_add_test(tc, metrics_can_be_turned_off);
    tcase_add_test(tc, typos_are_errors_that_name_the_key);
    tcase_add_test(tc, check_wants_a_usable_broker);
    tcase_add_test(tc, hostport);
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
