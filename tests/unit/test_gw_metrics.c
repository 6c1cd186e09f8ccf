/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's Prometheus text and its connection limits. */
#include "gw_limits.h"
#include "metrics.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *format(const struct gw_metrics *m)
{
    struct evbuffer *b = evbuffer_new();
    ck_assert_int_eq(gw_metrics_format(m, b), 0);
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    evbuffer_free(b);
    return s;
}

START_TEST(counters_and_types)
{
    struct gw_metrics m = {0};
    m.logins_ok = 3;
    m.logins_failed = 2;
    m.sessions_active = 1;
    m.bytes_vm_to_client = 12345678901ull;
    char *s = format(&m);
    ck_assert_ptr_nonnull(
        strstr(s, "# TYPE deskpool_gw_logins_ok counter\ndeskpool_gw_logins_ok 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ndeskpool_gw_logins_failed 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "# TYPE deskpool_gw_sessions_active gauge\n"));
    ck_assert_ptr_nonnull(strstr(s, "\ndeskpool_gw_bytes_vm_to_client 12345678901\n"));
    /* every metric line is NAME VALUE or a comment */
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
        ck_assert_msg(line[0] == '#' || strncmp(line, "deskpool_gw_", 12) == 0, "%s", line);
    free(s);
}
END_TEST

START_TEST(latency_histogram_is_cumulative)
{
    struct gw_metrics m = {0};
    gw_metrics_observe_handshake(&m, 0.01);
    gw_metrics_observe_handshake(&m, 0.3);
    gw_metrics_observe_handshake(&m, 0.3);
    gw_metrics_observe_handshake(&m, 100);
    char *s = format(&m);
    ck_assert_ptr_nonnull(strstr(s, "# TYPE deskpool_gw_handshake_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_bucket{le=\"0.05\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_bucket{le=\"0.25\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_bucket{le=\"0.5\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_bucket{le=\"30\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_bucket{le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_count 4\n"));
    ck_assert_ptr_nonnull(strstr(s, "deskpool_gw_handshake_seconds_sum 100.610000\n"));
    free(s);
}
END_TEST

START_TEST(limits_per_source_and_total)
{
    struct gw_limits *l = gw_limits_new(5, 2);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.1"), 0);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.1"), 0);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.1"), 2); /* third from one address */
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.2"), 0);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.3"), 0);
    ck_assert_int_eq(gw_limits_admit(l, "::1"), 0);
    ck_assert_uint_eq(gw_limits_total(l), 5);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.4"), 1); /* full */
    gw_limits_release(l, "10.0.0.1");
    ck_assert_uint_eq(gw_limits_of(l, "10.0.0.1"), 1);
    ck_assert_int_eq(gw_limits_admit(l, "10.0.0.4"), 0);
    gw_limits_release(l, "10.0.0.1");
    ck_assert_uint_eq(gw_limits_of(l, "10.0.0.1"), 0);
    gw_limits_release(l, "10.0.0.9"); /* unknown: no effect */
    ck_assert_uint_eq(gw_limits_total(l), 4);
    gw_limits_free(l);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gw_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, counters_and_types);
    tcase_add_test(tc, latency_histogram_is_cumulative);
    tcase_add_test(tc, limits_per_source_and_total);
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
