/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's session journal: what a killed gateway leaves for the next one to report. */
#include "err.h"
#include "session_journal.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/gwj-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int has_id(char **ids, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ids[i], id))
            return 1;
    return 0;
}

START_TEST(a_killed_gateway_leaves_its_live_sessions)
{
    struct dp_err err = {0};
    struct gw_journal *j = gw_journal_open(dir, "127.0.0.1", 3389, &err);
    ck_assert_msg(j != NULL, "%s", dp_err_msg(&err));
    ck_assert_int_eq(gw_journal_add(j, "17", &err), 0);
    ck_assert_int_eq(gw_journal_add(j, "18", &err), 0);
    ck_assert_int_eq(gw_journal_add(j, "19", &err), 0);
    gw_journal_remove(j, "18"); /* its end was acknowledged */
    ck_assert(gw_journal_has(j, "17") && !gw_journal_has(j, "18"));
    gw_journal_close(j); /* as if killed: the files stay */

    j = gw_journal_open(dir, "127.0.0.1", 3389, &err);
    ck_assert_msg(j != NULL, "%s", dp_err_msg(&err));
    char **ids = NULL;
    int n = gw_journal_list(j, &ids, &err);
    ck_assert_int_eq(n, 2);
    ck_assert(has_id(ids, n, "17") && has_id(ids, n, "19"));
    gw_journal_free_ids(ids, n);
    gw_journal_close(j);
}
END_TEST

START_TEST(listen_addresses_do_not_share)
{
    struct dp_err err = {0};
    struct gw_journal *a = gw_journal_open(dir, "127.0.0.1", 3389, &err);
    struct gw_journal *b = gw_journal_open(dir, "::1", 3389, &err);
    ck_assert_msg(a && b, "%s", dp_err_msg(&err));
    ck_assert_int_eq(gw_journal_add(a, "5", &err), 0);
    char **ids = NULL;
    ck_assert_int_eq(gw_journal_list(b, &ids, &err), 0);
    gw_journal_free_ids(ids, 0);
    ck_assert_ptr_null(strchr(gw_journal_dir(b) + strlen(dir), ':')); /* a plain file name */
    gw_journal_close(a);
    gw_journal_close(b);
}
END_TEST

START_TEST(a_second_gateway_on_the_same_address_is_refused)
{
    struct dp_err err = {0};
    struct gw_journal *a = gw_journal_open(dir, "0.0.0.0", 3389, &err);
    ck_assert_ptr_nonnull(a);
    struct gw_journal *b = gw_journal_open(dir, "0.0.0.0", 3389, &err);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "another deskpool-gw"));
    ck_assert_ptr_nonnull(strstr(dp_err_msg(&err), "state_dir"));
    gw_journal_close(a);
    /* once the first is gone, the next one may take over */
    dp_err_clear(&err);
    b = gw_journal_open(dir, "0.0.0.0", 3389, &err);
    ck_assert_msg(b != NULL, "%s", dp_err_msg(&err));
    gw_journal_close(b);
}
END_TEST

START_TEST(only_safe_ids_become_files)
{
    struct dp_err err = {0};
    struct gw_journal *j = gw_journal_open(dir, "127.0.0.1", 1, &err);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(gw_journal_add(j, "../x", &err), -1);
    ck_assert_int_eq(gw_journal_add(j, "", &err), -1);
    ck_assert_int_eq(gw_journal_add(j, ".lock", &err), -1);
    ck_assert(gw_journal_id_ok("abc-1_2"));
    ck_assert(!gw_journal_id_ok("a/b") && !gw_journal_id_ok(NULL));
    char **ids = NULL;
    ck_assert_int_eq(gw_journal_list(j, &ids, &err), 0); /* .lock is not a session */
    gw_journal_free_ids(ids, 0);
    gw_journal_close(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gw_journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_killed_gateway_leaves_its_live_sessions);
    tcase_add_test(tc, listen_addresses_do_not_share);
    tcase_add_test(tc, a_second_gateway_on_the_same_address_is_refused);
    tcase_add_test(tc, only_safe_ids_become_files);
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
