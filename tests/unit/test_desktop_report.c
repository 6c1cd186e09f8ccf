/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-desktop's messages between a connection process and the listener (report.h), and
 * the control socket's request line (control.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "report.h"

static struct report_msg parse_ok(const char *msg, int n)
{
    struct report_msg r;
    ck_assert_int_eq(n, (int)strlen(msg));
    ck_assert_msg(report_parse_msg(msg, (size_t)n, &r) == 0, "rejected \"%s\"", msg);
    return r;
}

START_TEST(up_round_trips)
{
    char m[REPORT_LINE_MAX];
    int n = report_format_up(m, sizeof m, "alice", "LAB", 1700000000);
    ck_assert_str_eq(m, "UP\talice\tLAB\t1700000000");
    struct report_msg r = parse_ok(m, n);
    ck_assert_int_eq(r.kind, REPORT_UP);
    ck_assert_str_eq(r.user, "alice");
    ck_assert_str_eq(r.domain, "LAB");
    ck_assert_int_eq(r.login, 1700000000);

    /* Empty domain (the usual case) and UTF-8 names. */
    n = report_format_up(m, sizeof m, "j\xc3\xb6rg", "", 5);
    r = parse_ok(m, n);
    ck_assert_str_eq(r.user, "j\xc3\xb6rg");
    ck_assert_str_eq(r.domain, "");
}
END_TEST

START_TEST(session_and_state_carry_the_desktop)
{
    struct session_view v = {3, 42, "half a line", "hello vm"};
    char m[REPORT_LINE_MAX];
    int n = report_format_session(m, sizeof m, 7, 1700000000, 1, &v);
    ck_assert_str_eq(m, "SESSION\t7\t1700000000\t1\t3\t42\thalf a line\thello vm");
    struct report_msg r = parse_ok(m, n);
    ck_assert_int_eq(r.kind, REPORT_SESSION);
    ck_assert_int_eq(r.session_id, 7);
    ck_assert_int_eq(r.login, 1700000000);
    ck_assert_int_eq(r.resumed, 1);
    ck_assert_uint_eq(r.view.clicks, 3);
    ck_assert_uint_eq(r.view.keys, 42);
    ck_assert_str_eq(r.view.line, "half a line");
    ck_assert_str_eq(r.view.last_line, "hello vm");

    /* A new session: nothing typed yet, empty text fields. */
    struct session_view none = {0};
    n = report_format_session(m, sizeof m, 8, 5, 0, &none);
    r = parse_ok(m, n);
    ck_assert_int_eq(r.resumed, 0);
    ck_assert_str_eq(r.view.line, "");

    n = report_format_state(m, sizeof m, &v);
    ck_assert_str_eq(m, "STATE\t3\t42\thalf a line\thello vm");
    r = parse_ok(m, n);
    ck_assert_int_eq(r.kind, REPORT_STATE);
    ck_assert_str_eq(r.view.last_line, "hello vm");

    /* The longest typed lines fit. */
    memset(v.line, 'x', sizeof v.line - 1);
    memset(v.last_line, 'y', sizeof v.last_line - 1);
    n = report_format_session(m, sizeof m, 9, 1, 1, &v);
    r = parse_ok(m, n);
    ck_assert_uint_eq(strlen(r.view.line), REPORT_TEXT_MAX - 1);
}
END_TEST

START_TEST(short_messages)
{
    char m[REPORT_LINE_MAX];
    ck_assert_int_eq(parse_ok(m, report_format_logoff(m, sizeof m)).kind, REPORT_LOGOFF);
    ck_assert_int_eq(parse_ok(m, report_format_bye(m, sizeof m)).kind, REPORT_BYE);
    struct report_msg r = parse_ok(m, report_format_kick(m, sizeof m, KICK_OTHER_CONNECTION));
    ck_assert_str_eq(m, "KICK\tother");
    ck_assert_int_eq(r.kind, REPORT_KICK);
    ck_assert_int_eq(r.kick, KICK_OTHER_CONNECTION);
    r = parse_ok(m, report_format_kick(m, sizeof m, KICK_ADMIN_LOGOFF));
    ck_assert_int_eq(r.kick, KICK_ADMIN_LOGOFF);
}
END_TEST

START_TEST(text_cannot_add_fields)
{
    char m[REPORT_LINE_MAX];
    int n = report_format_up(m, sizeof m, "eve\tUP\nx", "d\te", 1);
    ck_assert_str_eq(m, "UP\teve?UP?x\td?e\t1");
    ck_assert_str_eq(parse_ok(m, n).user, "eve?UP?x");
    struct session_view v = {0, 0, "a\tb", "c\nd"};
    n = report_format_state(m, sizeof m, &v);
    ck_assert_str_eq(m, "STATE\t0\t0\ta?b\tc?d");
}
END_TEST

START_TEST(overlong_names_are_refused)
{
    char m[REPORT_LINE_MAX], name[REPORT_FIELD_MAX + 1];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ck_assert_int_eq(report_format_up(m, sizeof m, name, "", 1), -1);
    name[REPORT_FIELD_MAX - 1] = '\0'; /* the longest allowed */
    ck_assert_int_gt(report_format_up(m, sizeof m, name, name, 1), 0);
    ck_assert_int_eq(report_format_up(m, 10, "alice", "", 1), -1);
    ck_assert_str_eq(m, "");
}
END_TEST

START_TEST(malformed_messages_are_rejected)
{
    struct report_msg r;
    const char *bad[] = {
        "",
        "UP",
        "UP\t",
        "DOWN\talice\t\t1",
        "UP\talice\t\t",                     /* no time */
        "UP\talice\t\t12x",                  /* not a number */
        "UP\talice\t\t-1",                   /* negative */
        "UP\t\t\t1",                         /* no user */
        "UP\talice\t1",                      /* too few fields */
        "UP\talice\t\t99999999999999999999", /* overflows */
        "UP\ta\tb\t1\t2",                    /* extra field */
        "UP\ta\nb\t\t1",                     /* control character */
        "STATE\t1\t2\tline",                 /* too few */
        "STATE\tx\t2\ta\tb",
        "SESSION\t1\t2\t2\t0\t0\t\t", /* resumed is 0 or 1 */
        "SESSION\t-1\t2\t0\t0\t0\t\t",
        "LOGOFF\tnow",
        "BYE\t",
        "KICK",
        "KICK\tsomeone",
        "KICK\tother\tx",
        "A\tB\tC\tD\tE\tF\tG\tH\tI", /* more fields than any message */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(report_parse_msg(bad[i], strlen(bad[i]), &r) == -1, "accepted \"%s\"",
                      bad[i]);
    /* A typed line longer than the desktop holds is refused, not cut. */
    char m[REPORT_LINE_MAX];
    memset(m, 0, sizeof m);
    strcpy(m, "STATE\t0\t0\t");
    memset(m + strlen(m), 'x', REPORT_TEXT_MAX);
    strcat(m, "\t");
    ck_assert_int_eq(report_parse_msg(m, strlen(m), &r), -1);
}
END_TEST

START_TEST(control_requests)
{
    char user[CONTROL_USER_MAX];
    ck_assert_int_eq(control_parse_request("LOGOFF\talice", 12, user), 0);
    ck_assert_str_eq(user, "alice");
    const char *bad[] = {
        "", "LOGOFF", "LOGOFF\t", "LOGOFF alice", "logoff\talice", "LOGOFF\ta\tb", "LOGOFF\ta\rb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(control_parse_request(bad[i], strlen(bad[i]), user) == -1, "accepted %s",
                      bad[i]);
    char big[CONTROL_USER_MAX + 16] = "LOGOFF\t";
    memset(big + 7, 'a', CONTROL_USER_MAX);
    big[7 + CONTROL_USER_MAX] = '\0';
    ck_assert_int_eq(control_parse_request(big, strlen(big), user), -1);

    char path[200];
    ck_assert_int_eq(control_path_beside(path, sizeof path, "/run/deskpool/users", NULL), 0);
    ck_assert_str_eq(path, "/run/deskpool/control");
    char deep[300] = "/tmp/";
    memset(deep + 5, 'd', 150);
    strcat(deep, "/users");
    ck_assert_int_eq(control_path_beside(path, sizeof path, deep, NULL), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("desktop_report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, up_round_trips);
    tcase_add_test(tc, session_and_state_carry_the_desktop);
    tcase_add_test(tc, short_messages);
    tcase_add_test(tc, text_cannot_add_fields);
    tcase_add_test(tc, overlong_names_are_refused);
    tcase_add_test(tc, malformed_messages_are_rejected);
    tcase_add_test(tc, control_requests);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
