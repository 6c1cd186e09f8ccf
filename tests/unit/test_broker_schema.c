/* SPDX-License-Identifier: Apache-2.0 */
/* What the schema itself refuses, whatever the code above it does: foreign keys with
 * RESTRICT where deleting would strand something, and the partial unique indexes that make
 * "one VM, one live session" and "one live session per user and pool" impossible to break. */
#include "test_broker_fixture.h"

#include "log.h"

START_TEST(template_used_by_a_pool_cannot_be_deleted)
{
    struct dp_err err = {0};
    ck_assert_int_eq(db_template_delete(fx_db, "tiny", &err), DB_ECONFLICT);
    ck_assert_str_eq(err.msg, "template \"tiny\" is used by pool \"desk\"; delete or change the "
                              "pool first");
    /* The foreign key refuses it too, for code that skips the DAO. */
    ck_assert_int_eq(fx_sql(fx_db, "DELETE FROM templates WHERE name = 'tiny'"), SQLITE_CONSTRAINT);
    ck_assert_msg(strstr(sqlite3_errmsg(db_sqlite(fx_db)), "FOREIGN KEY"), "%s",
                  sqlite3_errmsg(db_sqlite(fx_db)));
    struct db_template t;
    ck_assert_int_eq(db_template_get(fx_db, "tiny", &t, &err), DB_OK);
    ck_assert_int_eq(t.latest_version, 1);
    /* Once no pool uses it, it goes, versions and all. */
    ck_assert_int_eq(db_pool_delete(fx_db, "lab", &err), DB_OK);
    ck_assert_int_eq(db_pool_delete(fx_db, "desk", &err), DB_OK);
    ck_assert_msg(db_template_delete(fx_db, "tiny", &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM template_versions"), 0);
}
END_TEST

START_TEST(version_backing_a_vm_cannot_be_deleted)
{
    struct dp_err err = {0};
    fx_vm("lab-001", &fx_lab, VM_STOPPED);
    ck_assert_int_eq(db_template_version_delete(fx_db, "tiny", 1, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "disk base of VM \"lab-001\""), "%s", err.msg);
    ck_assert_int_eq(fx_sql(fx_db, "DELETE FROM template_versions"), SQLITE_CONSTRAINT);
}
END_TEST

START_TEST(pool_with_vms_and_owner_of_a_vm_cannot_be_deleted)
{
    struct dp_err err = {0};
    fx_vm("desk-001", &fx_desk, VM_READY);
    struct db_vm got;
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_bob.id, &got, &err), DB_OK);
    ck_assert_int_eq(db_pool_delete(fx_db, "desk", &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "pool \"desk\" still has VMs (e.g. \"desk-001\")"), "%s",
                  err.msg);
    ck_assert_int_eq(fx_sql(fx_db, "DELETE FROM pools WHERE name = 'desk'"), SQLITE_CONSTRAINT);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_delete(fx_db, "bob", &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "\"bob\" owns or uses VM \"desk-001\""), "%s", err.msg);
    /* SET NULL would hand bob's disk to the next user: the schema says RESTRICT. */
    ck_assert_int_eq(fx_sql(fx_db, "DELETE FROM users WHERE name = 'bob'"), SQLITE_CONSTRAINT);
    /* A user without VMs goes with their memberships and entitlements. */
    struct db_group g;
    ck_assert_int_eq(db_group_create(fx_db, "staff", &g, &err), DB_OK);
    ck_assert_int_eq(db_group_add_member(fx_db, g.id, fx_alice.id, &err), DB_OK);
    ck_assert_int_eq(db_entitle_user(fx_db, fx_lab.id, fx_alice.id, &err), DB_OK);
    ck_assert_msg(db_user_delete(fx_db, "alice", &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM group_members"), 0);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM entitlements"), 0);
}
END_TEST

START_TEST(a_vm_can_never_be_in_two_live_sessions)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO sessions(user_id, vm_id, pool_id, state, started, last_seen)"
             " VALUES (%lld, %lld, %lld, 'connected', 1, 1)",
             (long long)fx_alice.id, (long long)vm.id, (long long)fx_lab.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_OK);
    /* bob on the same VM: the partial unique index refuses, even as raw SQL. */
    snprintf(sql, sizeof sql,
             "INSERT INTO sessions(user_id, vm_id, pool_id, state, started, last_seen)"
             " VALUES (%lld, %lld, %lld, 'disconnected', 1, 1)",
             (long long)fx_bob.id, (long long)vm.id, (long long)fx_lab.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_CONSTRAINT);
    ck_assert_int_eq(sqlite3_extended_errcode(db_sqlite(fx_db)), SQLITE_CONSTRAINT_UNIQUE);
    /* Through the DAO it is refused with a message naming the session in the way. */
    struct db_session s;
    ck_assert_int_eq(db_session_start(fx_db, fx_bob.id, vm.id, fx_lab.id, "10.0.0.2", &s, &err),
                     DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "of \"alice\" on VM \"lab-001\" (pool \"lab\") is still "
                                  "connected"),
                  "%s", err.msg);
    /* Ended sessions are history and do not count. */
    ck_assert_int_eq(fx_sql(fx_db, "UPDATE sessions SET state = 'ended', ended_at = 2"), SQLITE_OK);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_OK);
}
END_TEST

START_TEST(a_user_has_at_most_one_live_session_per_pool)
{
    struct dp_err err = {0};
    struct db_vm a = fx_vm("lab-001", &fx_lab, VM_READY), b = fx_vm("lab-002", &fx_lab, VM_READY),
                 c = fx_vm("desk-001", &fx_desk, VM_READY);
    struct db_session s;
    ck_assert_int_eq(db_session_start(fx_db, fx_alice.id, a.id, fx_lab.id, NULL, &s, &err), DB_OK);
    ck_assert_int_eq(db_session_start(fx_db, fx_alice.id, b.id, fx_lab.id, NULL, &s, &err),
                     DB_ECONFLICT);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO sessions(user_id, vm_id, pool_id, state, started, last_seen)"
             " VALUES (%lld, %lld, %lld, 'connected', 1, 1)",
             (long long)fx_alice.id, (long long)b.id, (long long)fx_lab.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_CONSTRAINT);
    /* Another pool is fine. */
    dp_err_clear(&err);
    ck_assert_msg(db_session_start(fx_db, fx_alice.id, c.id, fx_desk.id, NULL, &s, &err) == DB_OK,
                  "%s", err.msg);
}
END_TEST

START_TEST(entitlement_is_for_a_user_or_a_group_never_both)
{
    struct dp_err err = {0};
    struct db_group g;
    ck_assert_int_eq(db_group_create(fx_db, "staff", &g, &err), DB_OK);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO entitlements(pool_id, user_id, group_id, created)"
             " VALUES (%lld, %lld, %lld, 1)",
             (long long)fx_lab.id, (long long)fx_alice.id, (long long)g.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_CONSTRAINT);
    snprintf(sql, sizeof sql, "INSERT INTO entitlements(pool_id, created) VALUES (%lld, 1)",
             (long long)fx_lab.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_CONSTRAINT);
}
END_TEST

START_TEST(pinned_version_must_belong_to_the_pools_template)
{
    struct dp_err err = {0};
    struct db_template_version other = fx_tv;
    snprintf(other.template_name, sizeof other.template_name, "win11");
    other.version = 0;
    ck_assert_int_eq(db_template_version_add(fx_db, &other, &err), DB_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE pools SET template_version_id = %lld WHERE name = 'lab'",
             (long long)other.id);
    ck_assert_int_eq(fx_sql(fx_db, sql), SQLITE_CONSTRAINT);
    ck_assert_msg(strstr(sqlite3_errmsg(db_sqlite(fx_db)), "belongs to another template"), "%s",
                  sqlite3_errmsg(db_sqlite(fx_db)));
}
END_TEST

START_TEST(unknown_state_is_refused_by_the_schema)
{
    fx_vm("lab-001", &fx_lab, VM_READY);
    ck_assert_int_eq(fx_sql(fx_db, "UPDATE vms SET state = 'running'"), SQLITE_CONSTRAINT);
    ck_assert_int_eq(fx_sql(fx_db, "UPDATE pools SET type = 'shared'"), SQLITE_CONSTRAINT);
    ck_assert_int_eq(fx_sql(fx_db, "INSERT INTO audit_events(ts, actor, action, object, detail)"
                                   " VALUES (1, 'a', 'b', 'c', '{not json')"),
                     SQLITE_CONSTRAINT);
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_schema");
    TCase *tc = tcase_create("constraints");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, template_used_by_a_pool_cannot_be_deleted);
    tcase_add_test(tc, version_backing_a_vm_cannot_be_deleted);
    tcase_add_test(tc, pool_with_vms_and_owner_of_a_vm_cannot_be_deleted);
    tcase_add_test(tc, a_vm_can_never_be_in_two_live_sessions);
    tcase_add_test(tc, a_user_has_at_most_one_live_session_per_pool);
    tcase_add_test(tc, entitlement_is_for_a_user_or_a_group_never_both);
    tcase_add_test(tc, pinned_version_must_belong_to_the_pools_template);
    tcase_add_test(tc, unknown_state_is_refused_by_the_schema);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
