/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-probe's load mode, pure parts: its options, who logs in, percentile math, the
 * summary and its exit status. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "probe_cli.h"
#include "probe_load.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(load_options)
{
    char *argv[] = {"p", "--users", "alice,bob,carol", "--password-env", "PW", "--concurrency",
                    "2", "--json",  "gw:3389"};
    struct probe_options o;
    struct dp_err err = {0};
    ck_assert_int_eq(probe_cli_parse(ARGC(argv), argv, &o, &err), 0);
    ck_assert(PROBE_LOAD_MODE(&o));
    ck_assert_str_eq(o.users, "alice,bob,carol");
    ck_assert_uint_eq(o.concurrency, 2);
    ck_assert_str_eq(o.host, "gw");

    char *a2[] = {"p", "--users-file", "u.txt", "h"};
    ck_assert_int_eq(probe_cli_parse(ARGC(a2), a2, &o, &err), 0);
    ck_assert(PROBE_LOAD_MODE(&o));
    ck_assert_uint_eq(o.concurrency, 0);

    char *a3[] = {"p", "--user", "a", "--password-env", "PW", "h"};
    ck_assert_int_eq(probe_cli_parse(ARGC(a3), a3, &o, &err), 0);
    ck_assert(!PROBE_LOAD_MODE(&o));
}
END_TEST

START_TEST(load_option_errors)
{
    static const struct {
        const char *args[8];
        const char *says;
    } cases[] = {
        {{"--users", "a,b", "h", NULL}, "no password for --users"},
        {{"--users", "a", "--password-env", "V", "--password-file", "f", "h", NULL}, "only one"},
        {{"--users-file", "f", "--password-env", "V", "h", NULL}, "holds the passwords"},
        {{"--users", "a", "--users-file", "f", "h", NULL}, "only one of --users"},
        {{"--users", "a", "--user", "b", "--password-env", "V", "h", NULL}, "--user is for one"},
        {{"--users", "a", "--password-env", "V", "--png", "x.png", "h", NULL}, "--png"},
        {{"--users", "", "--password-env", "V", "h", NULL}, "empty"},
        {{"--users", "a", "--password-env", "V", "--concurrency", "0", "h", NULL}, "at least 1"},
        {{"--users", "a", "--password-env", "V", "--concurrency", "999", "h", NULL}, "0 to 256"},
        {{"--users", "a", "--password-env", "V", "--concurrency", "x", "h", NULL}, "whole"},
        {{"--user", "a", "--password-env", "V", "--concurrency", "2", "h", NULL}, "load mode"},
        {{"--users", "a", "--password-env", "V", NULL}, "no HOST"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {"deskpool-probe"};
        int argc = 1;
        struct probe_options o;
        struct dp_err err = {0};
        for (int j = 0; cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        ck_assert_msg(probe_cli_parse(argc, argv, &o, &err) == -1, "case %zu parsed", i);
        ck_assert_msg(strstr(dp_err_msg(&err), cases[i].says), "case %zu: \"%s\" lacks \"%s\"", i,
                      dp_err_msg(&err), cases[i].says);
    }
}
END_TEST

START_TEST(users_from_list)
{
    struct probe_logins l;
    struct dp_err err = {0};
    ck_assert_int_eq(probe_logins_from_list(" alice, bob ,carol", "pw", &l, &err), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.v[0].user, "alice");
    ck_assert_str_eq(l.v[1].user, "bob");
    ck_assert_str_eq(l.v[2].user, "carol");
    ck_assert_str_eq(l.v[2].password, "pw");
    probe_logins_free(&l);
    ck_assert_uint_eq(l.n, 0);
    static const char *bad[] = {"a,,b", ",a", "a,", " "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_err_clear(&err);
        ck_assert_int_eq(probe_logins_from_list(bad[i], "pw", &l, &err), -1);
        ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "empty user name"));
    }
}
END_TEST

START_TEST(users_from_file)
{
    struct probe_logins l;
    struct dp_err err = {0};
    const char *t = "# load users\r\n\nalice:secret\r\n  bob :p:with:colons \n"
                    "carol:c4rol!"; /* no final newline */
    ck_assert_int_eq(probe_logins_from_text(t, strlen(t), &l, &err), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.v[0].password, "secret");
    ck_assert_str_eq(l.v[1].user, "bob");
    ck_assert_str_eq(l.v[1].password, "p:with:colons "); /* passwords are taken as is */
    ck_assert_str_eq(l.v[2].password, "c4rol!");
    probe_logins_free(&l);

    static const struct {
        const char *text, *says;
    } bad[] = {
        {"alice:x\nbob\n", "line 2: expected user:password"},
        {"alice:\n", "line 1: the password is empty"},
        {"a:b\n:x\n", "line 2: the user name is empty"},
        {"# nobody\n\n", "names no user"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_err_clear(&err);
        ck_assert_int_eq(probe_logins_from_text(bad[i].text, strlen(bad[i].text), &l, &err), -1);
        ck_assert_msg(strstr(dp_err_msg(&err), bad[i].says), "\"%s\" lacks \"%s\"",
                      dp_err_msg(&err), bad[i].says);
    }
    const char nul[] = "a:b\0c\n";
    ck_assert_int_eq(probe_logins_from_text(nul, sizeof nul - 1, &l, &err), -1);
}
END_TEST

START_TEST(percentiles_nearest_rank)
{
    long v[100];
    for (int i = 0; i < 100; i++)
        v[i] = 100 - i; /* 100..1, unsorted on purpose */
    struct probe_stats s;
    probe_stats_compute(v, 100, &s);
    ck_assert_int_eq(s.min, 1);
    ck_assert_int_eq(s.max, 100);
    ck_assert_int_eq(s.p50, 50);
    ck_assert_int_eq(s.p95, 95);
    ck_assert_int_eq(s.p99, 99);
    ck_assert(s.mean > 50.49 && s.mean < 50.51);

    /* 20 values: p95 is the 19th (0.95 * 20 must not round up to 20). */
    long w[20];
    for (int i = 0; i < 20; i++)
        w[i] = (i + 1) * 10;
    probe_stats_compute(w, 20, &s);
    ck_assert_int_eq(s.p95, 190);
    ck_assert_int_eq(s.p99, 200);
    ck_assert_int_eq(s.p50, 100);

    /* Few values: every percentile is a measured value. */
    long three[] = {1300, 900, 1100};
    probe_stats_compute(three, 3, &s);
    ck_assert_int_eq(s.min, 900);
    ck_assert_int_eq(s.p50, 1100);
    ck_assert_int_eq(s.p95, 1300);
    ck_assert_int_eq(s.p99, 1300);
    ck_assert_int_eq(s.max, 1300);

    long one[] = {42};
    probe_stats_compute(one, 1, &s);
    ck_assert_int_eq(s.p50, 42);
    ck_assert_int_eq(s.p99, 42);

    probe_stats_compute(NULL, 0, &s);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_int_eq(s.p50, -1);
    ck_assert_int_eq(s.max, -1);

    long sorted[] = {10, 20, 30, 40};
    ck_assert_int_eq(probe_percentile(sorted, 4, 25), 10);
    ck_assert_int_eq(probe_percentile(sorted, 4, 26), 20);
    ck_assert_int_eq(probe_percentile(sorted, 4, 100), 40);
    ck_assert_int_eq(probe_percentile(sorted, 4, 0.1), 10);
}
END_TEST

static void add_result(struct probe_logins *l, enum probe_status st, long ff)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    l->v[l->n].res.status = st;
    l->v[l->n].res.first_frame_ms = ff;
    l->v[l->n].res.connect_ms = ff >= 0 ? ff - 5 : -1;
    l->n++;
}

START_TEST(summary_and_exit_status)
{
    struct probe_logins l = {0};
    struct probe_load_summary sum;
    add_result(&l, PROBE_OK, 1000);
    add_result(&l, PROBE_OK, 3000);
    add_result(&l, PROBE_OK, 2000);
    probe_load_summarize(&l, &sum);
    ck_assert_uint_eq(sum.ok, 3);
    ck_assert_uint_eq(sum.failed, 0);
    ck_assert_int_eq(probe_load_exit_status(&sum), PROBE_OK);
    ck_assert_int_eq(sum.first_frame.p50, 2000);
    ck_assert_int_eq(sum.connect.min, 995);

    /* Failures carry no time: the percentiles stay over the successes. */
    add_result(&l, PROBE_AUTH, -1);
    add_result(&l, PROBE_NO_FRAME, -1);
    add_result(&l, PROBE_NO_FRAME, -1);
    probe_load_summarize(&l, &sum);
    ck_assert_uint_eq(sum.ok, 3);
    ck_assert_uint_eq(sum.failed, 3);
    ck_assert_uint_eq(sum.by_status[PROBE_AUTH], 1);
    ck_assert_uint_eq(sum.by_status[PROBE_NO_FRAME], 2);
    ck_assert_uint_eq(sum.first_frame.n, 3);
    ck_assert_int_eq(sum.first_frame.max, 3000);
    ck_assert_int_eq(probe_load_exit_status(&sum), PROBE_NO_FRAME);

    /* A tie goes to the lower code. */
    add_result(&l, PROBE_AUTH, -1);
    probe_load_summarize(&l, &sum);
    ck_assert_int_eq(probe_load_exit_status(&sum), PROBE_AUTH);
    free(l.v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe_load");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, load_options);
    tcase_add_test(tc, load_option_errors);
    tcase_add_test(tc, users_from_list);
    tcase_add_test(tc, users_from_file);
    tcase_add_test(tc, percentiles_nearest_rank);
    tcase_add_test(tc, summary_and_exit_status);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
