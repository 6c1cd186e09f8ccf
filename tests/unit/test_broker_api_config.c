/* SPDX-License-Identifier: Apache-2.0 */
/* deskpoold's config: a demo needs no file, every key can be set, and a mistake names the
 * file, the line and the key. */
#include "config.h"
#include "err.h"

#include <check.h>
#include <string.h>

static struct dp_config c;
static struct dp_err err;

static int parse(const char *text)
{
    config_defaults(&c);
    dp_err_clear(&err);
    return config_parse_string(&c, text, "test.conf", &err);
}

START_TEST(no_file_gives_working_defaults)
{
    ck_assert_int_eq(parse(""), 0);
    ck_assert_str_eq(c.state_dir, "/var/lib/deskpool");
    ck_assert_str_eq(c.db, "/var/lib/deskpool/deskpool.db");
    ck_assert_str_eq(c.socket, "/run/deskpool/deskpoold.sock");
    ck_assert_str_eq(c.tls_cert, "/var/lib/deskpool/tls/cert.pem");
    ck_assert_str_eq(c.tls_key, "/var/lib/deskpool/tls/key.pem");
    ck_assert_str_eq(c.gateway_key_file, "/var/lib/deskpool/gateway.key");
    ck_assert_str_eq(c.secret_key_file, "/var/lib/deskpool/secret.key");
    ck_assert_int_eq(c.https_enabled, 1);
    ck_assert_str_eq(c.https_host, "0.0.0.0");
    ck_assert_int_eq(c.https_port, 8443);
    ck_assert_str_eq(c.admin_group, "");
    ck_assert_int_eq(c.pool_tick_ms, 1000);
}
END_TEST

START_TEST(state_dir_moves_every_derived_path_but_explicit_ones_stay)
{
    ck_assert_int_eq(parse("[broker]\nstate_dir = /srv/dp\ndb = /data/x.db\n"), 0);
    ck_assert_str_eq(c.db, "/data/x.db");
    ck_assert_str_eq(c.secret_key_file, "/srv/dp/secret.key");
    ck_assert_str_eq(c.tls_key, "/srv/dp/tls/key.pem");
}
END_TEST

START_TEST(every_section_is_read)
{
    ck_assert_int_eq(parse("[broker]\nadmin_group = vdi-admins\nlog_level = debug\nsyslog = on\n"
                           "[https]\nlisten = [::1]:9443\n"
                           "[pool]\ntick_ms = 250\nworkers = 3\nmemory_reserve_mb = 2048\n"),
                     0);
    ck_assert_str_eq(c.admin_group, "vdi-admins");
    ck_assert_int_eq(c.log_level, DP_LOG_DEBUG);
    ck_assert_int_eq(c.syslog, 1);
    ck_assert_str_eq(c.https_host, "::1");
    ck_assert_int_eq(c.https_port, 9443);
    ck_assert_int_eq(c.pool_tick_ms, 250);
    ck_assert_int_eq(c.pool_workers, 3);
    ck_assert_int_eq(c.memory_reserve_mb, 2048);
    ck_assert_int_eq(parse("[https]\nlisten = off\n"), 0);
    ck_assert_int_eq(c.https_enabled, 0);
}
END_TEST

START_TEST(unknown_key_names_file_line_and_key)
{
    ck_assert_int_eq(parse("[broker]\nstate_dir = /x\n\n[pool]\ntick_ms = 5\n"), -1);
    ck_assert_msg(strstr(err.msg, "test.conf:5:") && strstr(err.msg, "tick_ms"), "%s", err.msg);
    ck_assert_int_eq(parse("[broker]\nstate_dir = /x\nsocekt = /run/x.sock\n"), -1);
    ck_assert_msg(strstr(err.msg, "test.conf:3:") && strstr(err.msg, "\"socekt\""), "%s", err.msg);
}
END_TEST

START_TEST(unknown_section_and_bad_values_are_refused)
{
    ck_assert_int_eq(parse("[brokr]\nstate_dir = /x\n"), -1);
    ck_assert_msg(strstr(err.msg, "test.conf:2:") && strstr(err.msg, "[brokr]"), "%s", err.msg);
    ck_assert_int_eq(parse("[pool]\nworkers = many\n"), -1);
    ck_assert_msg(strstr(err.msg, "workers") && strstr(err.msg, "1 to 64"), "%s", err.msg);
    ck_assert_int_eq(parse("[broker]\nsyslog = maybe\n"), -1);
    ck_assert_msg(strstr(err.msg, "on or off"), "%s", err.msg);
    ck_assert_int_eq(parse("[https]\nlisten = 8443\n"), -1);
    ck_assert_msg(strstr(err.msg, "HOST:PORT"), "%s", err.msg);
    ck_assert_int_eq(parse("[broker]\nlog_level = loud\n"), -1);
    ck_assert_int_eq(parse("just words\n"), -1);
    ck_assert_msg(strstr(err.msg, "test.conf:1:"), "%s", err.msg);
}
END_TEST

START_TEST(the_first_error_is_the_one_reported)
{
    ck_assert_int_eq(parse("[broker]\nbad1 = x\nbad2 = y\n"), -1);
    ck_assert_msg(strstr(err.msg, "bad1") && !strstr(err.msg, "bad2"), "%s", err.msg);
}
END_TEST

START_TEST(listen_parser)
{
    char host[64];
    int port;
    ck_assert_int_eq(config_parse_listen("127.0.0.1:8443", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, 8443);
    ck_assert_int_eq(config_parse_listen("[::]:1", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "::");
    ck_assert_int_eq(config_parse_listen(":8443", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_parse_listen("h:0", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_parse_listen("h:65536", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_parse_listen("h:80x", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_parse_listen("[::1]8443", host, sizeof host, &port), -1);
}
END_TEST

START_TEST(a_missing_file_is_fine_unless_named)
{
    ck_assert_int_eq(config_load(&c, "/nonexistent/deskpool.conf", 0, &err), 0);
    ck_assert_str_eq(c.socket, "/run/deskpool/deskpoold.sock");
    dp_err_clear(&err);
    ck_assert_int_eq(config_load(&c, "/nonexistent/deskpool.conf", 1, &err), -1);
    ck_assert_msg(strstr(err.msg, "/nonexistent/deskpool.conf"), "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_api_config");
    TCase *t = tcase_create("config");
    tcase_add_test(t, no_file_gives_working_defaults);
    tcase_add_test(t, state_dir_moves_every_derived_path_but_explicit_ones_stay);
    tcase_add_test(t, every_section_is_read);
    tcase_add_test(t, unknown_key_names_file_line_and_key);
    tcase_add_test(t, unknown_section_and_bad_values_are_refused);
    tcase_add_test(t, the_first_error_is_the_one_reported);
    tcase_add_test(t, listen_parser);
    tcase_add_test(t, a_missing_file_is_fine_unless_named);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
