/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's line for VM logins ([limits] max_vm_logins): no more than the limit log in
 * to their VMs at once, the rest go in arrival order as slots free, one that gives up while
 * waiting leaves the line without taking a slot, and 0 means no limit. The start of a VM
 * login is recorded instead of connecting.
 */
#include "gw.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct gw_config cfg;
static struct gw_ctx ctx;
static struct gw_conn conns[6];
static int started[6], n_started;

static void record_start(struct gw_conn *c)
{
    started[n_started++] = (int)c->id;
}

/* Starting conns[fail_id] fails at once: it ends from inside the start. */
static int fail_id = -1;
static void failing_start(struct gw_conn *c)
{
    record_start(c);
    if ((int)c->id == fail_id)
        gw_vm_login_end(c);
}

static void setup_limit(int limit)
{
    memset(&cfg, 0, sizeof cfg);
    memset(&ctx, 0, sizeof ctx);
    memset(conns, 0, sizeof conns);
    memset(started, 0, sizeof started);
    n_started = 0;
    fail_id = -1;
    cfg.max_vm_logins = limit;
    ctx.cfg = &cfg;
    ctx.logins.start = record_start;
    for (int i = 0; i < 6; i++) {
        conns[i].ctx = &ctx;
        conns[i].id = (uint64_t)i;
    }
}

START_TEST(at_most_the_limit_at_once_the_rest_in_order)
{
    setup_limit(2);
    int go[6];
    for (int i = 0; i < 6; i++)
        go[i] = gw_vm_login_begin(&conns[i]);
    ck_assert(go[0] && go[1]);
    for (int i = 2; i < 6; i++)
        ck_assert_int_eq(go[i], 0);
    ck_assert_int_eq(ctx.metrics.vm_logins_active, 2);
    ck_assert_int_eq(ctx.metrics.vm_logins_waiting, 4);
    gw_vm_login_end(&conns[1]); /* conn 1's relay started */
    ck_assert_int_eq(n_started, 1);
    ck_assert_int_eq(started[0], 2);
    gw_vm_login_end(&conns[3]); /* conn 3 gave up while waiting: no slot freed */
    ck_assert_int_eq(n_started, 1);
    ck_assert_int_eq(ctx.metrics.vm_logins_waiting, 2);
    gw_vm_login_end(&conns[0]);
    gw_vm_login_end(&conns[2]);
    ck_assert_int_eq(n_started, 3);
    ck_assert_int_eq(started[1], 4);
    ck_assert_int_eq(started[2], 5);
    ck_assert_int_eq(ctx.metrics.vm_logins_active, 2);
    ck_assert_int_eq(ctx.metrics.vm_logins_waiting, 0);
    gw_vm_login_end(&conns[4]);
    gw_vm_login_end(&conns[5]);
    gw_vm_login_end(&conns[5]); /* told twice (relay start, then close): no slot freed twice */
    ck_assert_int_eq(ctx.logins.active, 0);
    ck_assert_ptr_null(ctx.logins.head);
    ck_assert_ptr_null(ctx.logins.tail);
}
END_TEST

START_TEST(a_newcomer_does_not_jump_the_line)
{
    setup_limit(1);
    ck_assert_int_eq(gw_vm_login_begin(&conns[0]), 1);
    ck_assert_int_eq(gw_vm_login_begin(&conns[1]), 0);
    /* While conn 1 waits, a slot is free for a moment only inside end(): nobody else may
     * take it first. */
    gw_vm_login_end(&conns[0]);
    ck_assert_int_eq(n_started, 1);
    ck_assert_int_eq(started[0], 1);
    ck_assert_int_eq(gw_vm_login_begin(&conns[2]), 0);
}
END_TEST

START_TEST(a_start_that_fails_at_once_lets_the_next_go)
{
    setup_limit(1);
    ctx.logins.start = failing_start;
    fail_id = 1;
    ck_assert_int_eq(gw_vm_login_begin(&conns[0]), 1);
    ck_assert_int_eq(gw_vm_login_begin(&conns[1]), 0);
    ck_assert_int_eq(gw_vm_login_begin(&conns[2]), 0);
    gw_vm_login_end(&conns[0]);
    ck_assert_int_eq(n_started, 2); /* 1 started and failed, so 2 went at once */
    ck_assert_int_eq(started[1], 2);
    ck_assert_int_eq(ctx.logins.active, 1);
    ck_assert_int_eq(ctx.logins.waiting, 0);
}
END_TEST

START_TEST(zero_means_no_limit)
{
    setup_limit(0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(gw_vm_login_begin(&conns[i]), 1);
    ck_assert_int_eq(ctx.metrics.vm_logins_active, 6);
    ck_assert_int_eq(ctx.metrics.vm_logins_waiting, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gw_vm_logins");
    TCase *tc = tcase_create("line");
    tcase_add_test(tc, at_most_the_limit_at_once_the_rest_in_order);
    tcase_add_test(tc, a_newcomer_does_not_jump_the_line);
    tcase_add_test(tc, a_start_that_fails_at_once_lets_the_next_go);
    tcase_add_test(tc, zero_means_no_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
