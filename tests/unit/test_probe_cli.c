/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-probe's pure parts: command line, targets, password sources, key mapping,
 * failure classification. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <freerdp/error.h>

#include "err.h"
#include "probe_classify.h"
#include "probe_cli.h"
#include "probe_keys.h"
#include "probe_secret.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int parse(int argc, char **argv, struct probe_options *o, struct dp_err *err)
{
    dp_err_clear(err);
    return probe_cli_parse(argc, argv, o, err);
}

START_TEST(cli_full_command_line)
{
    char *argv[] = {"deskpool-probe",
                    "--user",
                    "alice",
                    "--password-file",
                    "/run/pw",
                    "--domain",
                    "LAB",
                    "--timeout",
                    "7",
                    "--png",
                    "out.png",
                    "--json",
                    "--sec",
                    "any",
                    "--load-balance-info",
                    "tsv://pool.lab",
                    "--settle-ms",
                    "250",
                    "--type-text",
                    "hi there",
                    "--size",
                    "800x600",
                    "--logoff",
                    "host.lab:3390"};
    struct probe_options o;
    struct dp_err err = {0};

    ck_assert_int_eq(parse(ARGC(argv), argv, &o, &err), 0);
    ck_assert_str_eq(o.user, "alice");
    ck_assert_str_eq(o.password_file, "/run/pw");
    ck_assert_ptr_null(o.password_arg);
    ck_assert_str_eq(o.domain, "LAB");
    ck_assert_uint_eq(o.timeout_ms, 7000);
    ck_assert_str_eq(o.png_path, "out.png");
    ck_assert_int_eq(o.json, 1);
    ck_assert_int_eq(o.sec, PROBE_SEC_ANY);
    ck_assert_str_eq(o.load_balance_info, "tsv://pool.lab");
    ck_assert_int_eq(o.settle_ms, 250);
    ck_assert_str_eq(o.type_text, "hi there");
    ck_assert_uint_eq(o.width, 800);
    ck_assert_uint_eq(o.height, 600);
    ck_assert_int_eq(o.logoff, 1);
    ck_assert_str_eq(o.host, "host.lab");
    ck_assert_uint_eq(o.port, 3390);
}
END_TEST

START_TEST(cli_defaults)
{
    char *argv[] = {"p", "--user", "bob", "--password-env", "PW", "10.0.0.5"};
    struct probe_options o;
    struct dp_err err = {0};

    ck_assert_int_eq(parse(ARGC(argv), argv, &o, &err), 0);
    ck_assert_uint_eq(o.port, 3389);
    ck_assert_int_eq(o.sec, PROBE_SEC_NLA);
    ck_assert_uint_eq(o.timeout_ms, 20000);
    ck_assert_int_eq(o.settle_ms, -1);
    ck_assert_int_eq(o.json, 0);
    ck_assert_ptr_null(o.png_path);
    ck_assert_int_eq(o.logoff, 0); /* a probe disconnects unless asked to log off */
    ck_assert_str_eq(o.password_env, "PW");
}
END_TEST

/* Each of these is a usage error with a message that names the problem. */
START_TEST(cli_usage_errors)
{
    static const struct {
        const char *args[8];
        const char *says;
    } cases[] = {
        {{"--user", "a", "--password", "x", NULL}, "no HOST"},
        {{"--user", "a", "--password", "x", "h1", "h2", NULL}, "more than one"},
        {{"--password", "x", "h", NULL}, "--user"},
        {{"--user", "a", "h", NULL}, "no password"},
        {{"--user", "a", "--password", "x", "--password-env", "V", "h", NULL}, "only one"},
        {{"--user", "a", "--password", "x", "--sec", "rdp", "h", NULL}, "nla, tls or any"},
        {{"--user", "a", "--password", "x", "--timeout", "0", "h", NULL}, "at least 1"},
        {{"--user", "a", "--password", "x", "--timeout", "-3", "h", NULL}, "whole number"},
        {{"--user", "a", "--password", "x", "--timeout", "5s", "h", NULL}, "whole number"},
        {{"--user", "a", "--password", "x", "--size", "100x100", "h", NULL}, "WIDTHxHEIGHT"},
        {{"--user", "a", "--password", "x", "--bogus", "h", NULL}, "unknown option"},
        {{"--user", "a", "--password", "x", "h", "--timeout", NULL}, "needs a value"},
        {{"--user", "a", "--password", "x", "h:0", NULL}, "port"},
        {{"--user", "a", "--password", "x", "h:99999", NULL}, "port"},
        {{"--user", "a", "--password", "x", "--type-text", "", "h", NULL}, "empty"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[10] = {"deskpool-probe"};
        int argc = 1;
        struct probe_options o;
        struct dp_err err = {0};
        for (int j = 0; cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        ck_assert_msg(parse(argc, argv, &o, &err) == -1, "case %zu parsed", i);
        ck_assert_msg(strstr(dp_err_msg(&err), cases[i].says), "case %zu: \"%s\" lacks \"%s\"", i,
                      dp_err_msg(&err), cases[i].says);
    }
}
END_TEST

START_TEST(cli_help)
{
    char *argv[] = {"p", "--help"};
    struct probe_options o;
    struct dp_err err = {0};

    ck_assert_int_eq(parse(ARGC(argv), argv, &o, &err), 0);
    ck_assert_int_eq(o.help, 1);
}
END_TEST

START_TEST(targets)
{
    char host[64];
    unsigned port;
    struct dp_err err = {0};

    ck_assert_int_eq(probe_parse_target("[::1]:3391", host, sizeof host, &port, &err), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 3391);
    ck_assert_int_eq(probe_parse_target("[fe80::2]", host, sizeof host, &port, &err), 0);
    ck_assert_str_eq(host, "fe80::2");
    ck_assert_uint_eq(port, 3389);
    ck_assert_int_eq(probe_parse_target("::1", host, sizeof host, &port, &err), -1);
    ck_assert_int_eq(probe_parse_target(":3389", host, sizeof host, &port, &err), -1);
    ck_assert_int_eq(probe_parse_target("[::1", host, sizeof host, &port, &err), -1);
    ck_assert_int_eq(probe_parse_target("h:", host, sizeof host, &port, &err), -1);
    ck_assert_int_eq(probe_parse_target("h:12a", host, sizeof host, &port, &err), -1);
}
END_TEST

START_TEST(secret_sources)
{
    char path[] = "/tmp/test_probe_pw.XXXXXX";
    int fd = mkstemp(path);
    struct probe_options o = {0};
    struct dp_err err = {0};
    char *pw;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "s3cret\r\nsecond line\n", 20), 20);
    close(fd);
    o.password_file = path;
    pw = probe_secret_load(&o, &err);
    ck_assert_str_eq(pw, "s3cret");
    probe_secret_free(pw);

    o.password_file = "/nonexistent/pw";
    dp_err_clear(&err);
    ck_assert_ptr_null(probe_secret_load(&o, &err));
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "/nonexistent/pw"));

    o.password_file = NULL;
    o.password_env = "TEST_PROBE_PW";
    setenv("TEST_PROBE_PW", "from env", 1);
    pw = probe_secret_load(&o, &err);
    ck_assert_str_eq(pw, "from env");
    probe_secret_free(pw);
    unsetenv("TEST_PROBE_PW");
    dp_err_clear(&err);
    ck_assert_ptr_null(probe_secret_load(&o, &err));
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "not set"));

    /* An empty first line is no password. */
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "\nx\n", 3), 3);
    close(fd);
    o.password_env = NULL;
    o.password_file = path;
    dp_err_clear(&err);
    ck_assert_ptr_null(probe_secret_load(&o, &err));
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "empty"));
    unlink(path);
}
END_TEST

START_TEST(keys_us_layout)
{
    uint8_t sc;
    int shift;

    ck_assert_int_eq(probe_ascii_scancode('a', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x1E);
    ck_assert_int_eq(shift, 0);
    ck_assert_int_eq(probe_ascii_scancode('A', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x1E);
    ck_assert_int_eq(shift, 1);
    ck_assert_int_eq(probe_ascii_scancode('0', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x0B);
    ck_assert_int_eq(probe_ascii_scancode('?', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x35);
    ck_assert_int_eq(shift, 1);
    ck_assert_int_eq(probe_ascii_scancode('m', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x32);
    ck_assert_int_eq(probe_ascii_scancode(' ', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x39);
    ck_assert_int_eq(probe_ascii_scancode('\n', &sc, &shift), 0);
    ck_assert_uint_eq(sc, 0x1C);
    ck_assert_int_eq(probe_ascii_scancode('\x01', &sc, &shift), -1);
    /* Every printable ASCII character has a key. */
    for (char c = 0x20; c < 0x7F; c++)
        ck_assert_msg(probe_ascii_scancode(c, &sc, &shift) == 0, "no key for '%c'", c);
}
END_TEST

START_TEST(utf8_decoding)
{
    uint32_t cp;

    ck_assert_int_eq(probe_utf8_next("A", 1, &cp), 1);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_int_eq(probe_utf8_next("\xc3\xa9", 2, &cp), 2);
    ck_assert_uint_eq(cp, 0xE9);
    ck_assert_int_eq(probe_utf8_next("\xe2\x82\xac", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x20AC);
    ck_assert_int_eq(probe_utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    ck_assert_int_eq(probe_utf8_next("\xc0\x80", 2, &cp), -1);     /* overlong */
    ck_assert_int_eq(probe_utf8_next("\xed\xa0\x80", 3, &cp), -1); /* surrogate */
    ck_assert_int_eq(probe_utf8_next("\xe2\x82", 2, &cp), -1);     /* truncated */
    ck_assert_int_eq(probe_utf8_next("\x80", 1, &cp), -1);
}
END_TEST

static enum probe_status classify(uint32_t e, struct probe_progress p, char *msg)
{
    return probe_classify_failure(e, "E", &p, "h:1", 5000, msg, 512);
}

START_TEST(classify_failures)
{
    char msg[512];
    struct probe_progress none = {0};
    struct probe_progress nla_answered = {.reached_nla = 1, .nla_answered = 1};
    struct probe_progress nla_silent = {.reached_nla = 1};
    struct probe_progress in_mcs = {.reached_nla = 1, .nla_answered = 1, .passed_nla = 1};
    struct probe_progress tls_dropped = {.passed_nla = 1, .dropped_in_mcs = 1};
    struct probe_progress timed_nego = {.timed_out = 1};
    struct probe_progress timed_later = {.timed_out = 1, .reached_nla = 1, .passed_nla = 1};

    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_FAILED, none, msg), PROBE_UNREACHABLE);
    ck_assert_int_eq(classify(FREERDP_ERROR_DNS_NAME_NOT_FOUND, none, msg), PROBE_UNREACHABLE);
    ck_assert_int_eq(classify(FREERDP_ERROR_SECURITY_NEGO_CONNECT_FAILED, none, msg),
                     PROBE_UNREACHABLE);
    ck_assert_ptr_nonnull(strstr(msg, "--sec"));
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED, none, msg),
                     PROBE_UNREACHABLE);
    /* The FreeRDP-server way of saying "wrong password": hang up after the CHALLENGE. */
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED, nla_answered, msg),
                     PROBE_AUTH);
    ck_assert_ptr_nonnull(strstr(msg, "password"));
    /* Hanging up before answering NEGOTIATE is not a password problem. */
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED, nla_silent, msg),
                     PROBE_ERROR);
    /* Windows-style NTSTATUS answers. */
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_LOGON_FAILURE, nla_answered, msg), PROBE_AUTH);
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_ACCOUNT_LOCKED_OUT, nla_answered, msg),
                     PROBE_AUTH);
    ck_assert_int_eq(classify(FREERDP_ERROR_AUTHENTICATION_FAILED, none, msg), PROBE_AUTH);
    /* After NLA succeeded, a drop is some other error. */
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED, in_mcs, msg), PROBE_ERROR);
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_TRANSPORT_FAILED, tls_dropped, msg),
                     PROBE_UNREACHABLE);
    ck_assert_ptr_nonnull(strstr(msg, "--sec nla"));
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_CANCELLED, timed_nego, msg), PROBE_UNREACHABLE);
    ck_assert_ptr_nonnull(strstr(msg, "5 s"));
    ck_assert_int_eq(classify(FREERDP_ERROR_CONNECT_CANCELLED, timed_later, msg), PROBE_NO_FRAME);
}
END_TEST

START_TEST(classify_logoff)
{
    char msg[512];
    ck_assert_int_eq(probe_classify_logoff(1, ERRINFO_LOGOFF_BY_USER, "ERRINFO_LOGOFF_BY_USER",
                                           "vm:3389", 20000, msg, sizeof msg),
                     PROBE_OK);
    ck_assert_str_eq(msg, "");
    /* Still connected at the timeout: the desktop did not react to "logoff". */
    ck_assert_int_eq(probe_classify_logoff(0, 0, NULL, "vm:3389", 20000, msg, sizeof msg),
                     PROBE_NO_FRAME);
    ck_assert_ptr_nonnull(strstr(msg, "still open 20 s"));
    /* A plain disconnect (no error info) or another reason is not a logoff. */
    ck_assert_int_eq(
        probe_classify_logoff(1, 0, "ERRINFO_SUCCESS", "vm:3389", 20000, msg, sizeof msg),
        PROBE_ERROR);
    ck_assert_ptr_nonnull(strstr(msg, "0x00000000 none"));
    ck_assert_int_eq(probe_classify_logoff(1, ERRINFO_RPC_INITIATED_LOGOFF,
                                           "ERRINFO_RPC_INITIATED_LOGOFF", "vm:3389", 20000, msg,
                                           sizeof msg),
                     PROBE_ERROR);
    ck_assert_ptr_nonnull(strstr(msg, "0x00000002 ERRINFO_RPC_INITIATED_LOGOFF"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe_cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, cli_full_command_line);
    tcase_add_test(tc, cli_defaults);
    tcase_add_test(tc, cli_usage_errors);
    tcase_add_test(tc, cli_help);
    tcase_add_test(tc, targets);
    tcase_add_test(tc, secret_sources);
    tcase_add_test(tc, keys_us_layout);
    tcase_add_test(tc, utf8_decoding);
    tcase_add_test(tc, classify_failures);
    tcase_add_test(tc, classify_logoff);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
