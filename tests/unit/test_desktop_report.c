/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-desktop's report from a connection process to the listener (the UP line). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

START_TEST(up_line_round_trips)
{
    char line[REPORT_LINE_MAX];
    int n = report_format_up(line, sizeof line, "alice", "LAB", 1700000000);
    ck_assert_str_eq(line, "UP\talice\tLAB\t1700000000\n");
    ck_assert_int_eq(n, (int)strlen(line));
    struct peer_report r;
    ck_assert_int_eq(report_parse(line, (size_t)n - 1, &r), 0);
    ck_assert_str_eq(r.user, "alice");
    ck_assert_str_eq(r.domain, "LAB");
    ck_assert_int_eq(r.login, 1700000000);

    /* Empty domain (the usual case) and UTF-8 names. */
    n = report_format_up(line, sizeof line, "j\xc3\xb6rg", "", 5);
    ck_assert_int_eq(report_parse(line, (size_t)n - 1, &r), 0);
    ck_assert_str_eq(r.user, "j\xc3\xb6rg");
    ck_assert_str_eq(r.domain, "");
    ck_assert_int_eq(r.login, 5);
}
END_TEST

START_TEST(names_cannot_split_the_line)
{
    char line[REPORT_LINE_MAX];
    struct peer_report r;
    int n = report_format_up(line, sizeof line, "eve\tUP\nx", "d\te", 1);
    ck_assert_str_eq(line, "UP\teve?UP?x\td?e\t1\n");
    ck_assert_int_eq(report_parse(line, (size_t)n - 1, &r), 0);
    ck_assert_str_eq(r.user, "eve?UP?x");
}
END_TEST

START_TEST(overlong_names_are_refused)
{
    char line[REPORT_LINE_MAX], name[REPORT_FIELD_MAX + 1];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ck_assert_int_eq(report_format_up(line, sizeof line, name, "", 1), -1);
    name[REPORT_FIELD_MAX - 1] = '\0'; /* the longest allowed */
    ck_assert_int_gt(report_format_up(line, sizeof line, name, name, 1), 0);
    ck_assert_int_eq(report_format_up(line, 10, "alice", "", 1), -1);
}
END_TEST

START_TEST(malformed_lines_are_rejected)
{
    struct peer_report r;
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
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(report_parse(bad[i], strlen(bad[i]), &r) == -1, "accepted \"%s\"", bad[i]);
    /* A tab inside the time field is rejected too (extra field). */
    ck_assert_int_eq(report_parse("UP\ta\tb\t1\t2", 11, &r), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("desktop_report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, up_line_round_trips);
    tcase_add_test(tc, names_cannot_split_the_line);
    tcase_add_test(tc, overlong_names_are_refused);
    tcase_add_test(tc, malformed_lines_are_rejected);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
