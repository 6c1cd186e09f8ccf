/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-connect's command line, broker addresses and fingerprints (pure parts). */
#include <check.h>
#include <string.h>

#include "connect.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char msg[512];

START_TEST(args_connect_with_client_options)
{
    char *argv[] = {"deskpool-connect", "--broker", "https://b.lab", "lab", "--user", "alice",
                    "--password-env",   "PW",       "--wait",        "30",  "--",     "/f",
                    "/size:800x600"};
    struct conn_options o;
    ck_assert_int_eq(conn_args_parse(ARGC(argv), argv, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.action, ACT_CONNECT);
    ck_assert_str_eq(o.target, "lab");
    ck_assert_str_eq(o.broker, "https://b.lab");
    ck_assert_str_eq(o.user, "alice");
    ck_assert_str_eq(o.password_env, "PW");
    ck_assert_int_eq(o.wait_s, 30);
    ck_assert_int_eq(o.timeout_s, CONN_DEFAULT_TIMEOUT_S);
    ck_assert_str_eq(o.client, "xfreerdp");
    ck_assert_int_eq(o.nclient_args, 2);
    ck_assert_str_eq(o.client_args[0], "/f");
    ck_assert_str_eq(o.client_args[1], "/size:800x600");
}
END_TEST

START_TEST(args_defaults_and_actions)
{
    char *a1[] = {"c"};
    struct conn_options o;
    ck_assert_int_eq(conn_args_parse(ARGC(a1), a1, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.action, ACT_CONNECT);
    ck_assert_ptr_null(o.target);
    ck_assert_int_eq(o.wait_s, CONN_DEFAULT_WAIT_S);
    ck_assert_int_eq(o.nclient_args, 0);

    char *a2[] = {"c", "--reset", "home", "--yes", "--json"};
    ck_assert_int_eq(conn_args_parse(ARGC(a2), a2, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.action, ACT_RESET);
    ck_assert_str_eq(o.target, "home");
    ck_assert_int_eq(o.yes, 1);
    ck_assert_int_eq(o.json, 1);

    char *a3[] = {"c", "--restart", "--fingerprint",
                  "sha256 Fingerprint=47:40:E1:F9:E9:62:62:50:9C:0E:4B:8F:7B:D1:5A:87:77:7D:AC:"
                  "C5:9C:DD:FC:66:3B:1C:9C:F5:CC:15:C6:AE"};
    ck_assert_int_eq(conn_args_parse(ARGC(a3), a3, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.action, ACT_RESTART);
    ck_assert_str_eq(o.fingerprint,
                     "4740e1f9e96262509c0e4b8f7bd15a87777dacc59cddfc663b1c9cf5cc15c6ae");

    char *a4[] = {"c", "--list", "--insecure", "--no-save", "--config", "/tmp/x.conf"};
    ck_assert_int_eq(conn_args_parse(ARGC(a4), a4, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.action, ACT_LIST);
    ck_assert_int_eq(o.insecure, 1);
    ck_assert_int_eq(o.no_save, 1);
    ck_assert_str_eq(o.config, "/tmp/x.conf");

    char *a5[] = {"c", "--help", "--bogus"};
    ck_assert_int_eq(conn_args_parse(ARGC(a5), a5, &o, msg, sizeof msg), 0);
    ck_assert_int_eq(o.help, 1);
}
END_TEST

/* Each is refused with a message naming the problem; a password never rides in argv. */
START_TEST(args_usage_errors)
{
    static const struct {
        const char *args[8];
        const char *says;
    } cases[] = {
        {{"--list", "--reset", NULL}, "only one of --list"},
        {{"--list", "lab", NULL}, "--list takes no POOL"},
        {{"a", "b", NULL}, "unexpected argument \"b\""},
        {{"lab", "--", "/p:secret", NULL}, "/p:secret is not allowed"},
        {{"lab", "--", "/from-stdin:force", NULL}, "not allowed"},
        {{"--list", "--", "/f", NULL}, "need a connection"},
        {{"--rdp-file", "x.rdp", "--", "/f", NULL}, "need a connection"},
        {{"--reset", "--rdp-file", "x.rdp", NULL}, "--rdp-file goes with a connection"},
        {{"--password-env", "A", "--password-file", "f", NULL}, "only one of --password-env"},
        {{"--insecure", "--ca", "c.pem", NULL}, "--insecure checks nothing"},
        {{"--ca", "c.pem", "--fingerprint", "00", NULL}, "not a SHA-256"},
        {{"--fingerprint", "abc", NULL}, "not a SHA-256"},
        {{"--wait", "0", NULL}, "from 1 to 3600"},
        {{"--timeout", "5s", NULL}, "from 1 to 600"},
        {{"--user", "", NULL}, "--user is empty"},
        {{"--bogus", NULL}, "unknown option --bogus"},
        {{"--broker", NULL}, "needs a value"},
        {{"--password", "x", NULL}, "unknown option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {"deskpool-connect"};
        int argc = 1;
        struct conn_options o;
        for (int j = 0; cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        msg[0] = '\0';
        ck_assert_msg(conn_args_parse(argc, argv, &o, msg, sizeof msg) == -1, "case %zu parsed", i);
        ck_assert_msg(strstr(msg, cases[i].says), "case %zu: \"%s\" lacks \"%s\"", i, msg,
                      cases[i].says);
    }
}
END_TEST

START_TEST(broker_addresses)
{
    struct broker_addr a;
    ck_assert_int_eq(broker_addr_parse("https://b.lab", &a, msg, sizeof msg), 0);
    ck_assert_str_eq(a.host, "b.lab");
    ck_assert_uint_eq(a.port, CONN_DEFAULT_PORT);
    ck_assert_str_eq(a.canon, "https://b.lab:8443");
    ck_assert_int_eq(broker_addr_parse("HTTPS://10.0.0.1:9443/", &a, msg, sizeof msg), 0);
    ck_assert_str_eq(a.canon, "https://10.0.0.1:9443");
    ck_assert_int_eq(broker_addr_parse("b.lab:443", &a, msg, sizeof msg), 0);
    ck_assert_uint_eq(a.port, 443);
    ck_assert_int_eq(broker_addr_parse("[::1]:8444", &a, msg, sizeof msg), 0);
    ck_assert_str_eq(a.host, "::1");
    ck_assert_str_eq(a.canon, "https://[::1]:8444");

    static const struct {
        const char *in, *says;
    } bad[] = {
        {"http://b.lab", "only https://"},
        {"https://b.lab/portal", "no path"},
        {"https://:8443", "no host"},
        {"b.lab:0", "port"},
        {"b.lab:65536", "port"},
        {"b.lab:x", "port"},
        {"::1", "[ADDR]:PORT"},
        {"[::1", "unterminated"},
        {"user@b.lab", "character"},
        {"b.lab:-1", "port"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        ck_assert_msg(broker_addr_parse(bad[i].in, &a, msg, sizeof msg) == -1, "%s parsed",
                      bad[i].in);
        ck_assert_msg(strstr(msg, bad[i].says), "%s: \"%s\" lacks \"%s\"", bad[i].in, msg,
                      bad[i].says);
    }
}
END_TEST

START_TEST(fingerprints)
{
    char fp[CONN_FP_LEN + 1], shown[100];
    const char *hex = "4740e1f9e96262509c0e4b8f7bd15a87777dacc59cddfc663b1c9cf5cc15c6ae";
    ck_assert_int_eq(fingerprint_normalize(hex, fp), 0);
    ck_assert_str_eq(fp, hex);
    ck_assert_int_eq(fingerprint_normalize("SHA256:4740E1F9E96262509C0E4B8F7BD15A87777DACC59CDDFC6"
                                           "63B1C9CF5CC15C6AE",
                                           fp),
                     0);
    ck_assert_str_eq(fp, hex);
    fingerprint_display(hex, shown, sizeof shown);
    ck_assert_str_eq(shown, "47:40:E1:F9:E9:62:62:50:9C:0E:4B:8F:7B:D1:5A:87:77:7D:AC:C5:9C:DD:"
                            "FC:66:3B:1C:9C:F5:CC:15:C6:AE");
    ck_assert_int_eq(fingerprint_normalize(shown, fp), 0);
    ck_assert_str_eq(fp, hex);
    /* SHA-1 length, a stray letter, one digit too many */
    ck_assert_int_eq(fingerprint_normalize("aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:"
                                           "bb:cc:dd",
                                           fp),
                     -1);
    char bad[70];
    memcpy(bad, hex, 65);
    bad[10] = 'g';
    ck_assert_int_eq(fingerprint_normalize(bad, fp), -1);
    memcpy(bad, hex, 64);
    bad[64] = 'a';
    bad[65] = '\0';
    ck_assert_int_eq(fingerprint_normalize(bad, fp), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connect_args");
    TCase *tc = tcase_create("args");
    tcase_add_test(tc, args_connect_with_client_options);
    tcase_add_test(tc, args_defaults_and_actions);
    tcase_add_test(tc, args_usage_errors);
    tcase_add_test(tc, broker_addresses);
    tcase_add_test(tc, fingerprints);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
