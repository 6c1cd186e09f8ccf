/* SPDX-License-Identifier: Apache-2.0 */
/* The broker store's schema versions: fresh, upgrade, refusal of newer or foreign files,
 * connection settings and nested transactions. */
#include "test_broker_fixture.h"

#include "log.h"

START_TEST(fresh_store_is_latest_wal_with_foreign_keys)
{
    struct dp_err err = {0};
    struct db *db;
    fx_mkdir();
    ck_assert_msg(db_open(fx_path, &db, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(db_schema_version(db), db_schema_latest());
    ck_assert_int_ge(db_schema_latest(), 2);
    ck_assert_int_eq(fx_int(db, "PRAGMA foreign_keys"), 1);
    ck_assert_int_eq(fx_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    ck_assert_int_eq(fx_int(db, "PRAGMA busy_timeout"), 5000);
    ck_assert_int_eq(fx_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name IN ('templates', 'template_versions', 'pools', 'vms', "
                                "'users', 'groups', 'group_members', 'entitlements', "
                                "'sessions', 'tokens', 'audit_events')"),
                     11);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(db), "PRAGMA journal_mode", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    db_close(db);
    /* Opening again changes nothing. */
    ck_assert_msg(db_open(fx_path, &db, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(db_schema_version(db), db_schema_latest());
    db_close(db);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(older_store_with_data_is_upgraded_and_keeps_it)
{
    struct dp_err err = {0};
    struct db *db;
    fx_mkdir();
    ck_assert_int_eq(db_open_unmigrated(fx_path, &db, &err), DB_OK);
    ck_assert_int_eq(db_schema_version(db), 0);
    ck_assert_msg(db_migrate(db, 1, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(db_schema_version(db), 1);
    /* Data written by a version-1 deskpool. */
    struct db_user u;
    ck_assert_msg(db_user_create(db, "carol", "Carol", &u, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(fx_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                "'vms_pool_state'"),
                     0);
    db_close(db);

    ck_assert_msg(db_open(fx_path, &db, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(db_schema_version(db), db_schema_latest());
    ck_assert_int_eq(fx_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                "'vms_pool_state'"),
                     1);
    struct db_user again;
    ck_assert_int_eq(db_user_get(db, "carol", &again, &err), DB_OK);
    ck_assert_int_eq(again.id, u.id);
    ck_assert_str_eq(again.display_name, "Carol");
    db_close(db);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(store_from_a_newer_deskpool_is_refused_untouched)
{
    struct dp_err err = {0};
    struct db *db;
    fx_mkdir();
    ck_assert_int_eq(db_open(fx_path, &db, &err), DB_OK);
    int future = db_schema_latest() + 1;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", future);
    ck_assert_int_eq(fx_sql(db, sql), SQLITE_OK);
    db_close(db);

    db = (struct db *)1;
    ck_assert_int_eq(db_open(fx_path, &db, &err), DB_EINVAL);
    ck_assert_ptr_null(db);
    char want[128];
    snprintf(want, sizeof want, "has schema version %d", future);
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
    snprintf(want, sizeof want, "only knows versions up to %d", db_schema_latest());
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "newer deskpool"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "restore a backup"), "%s", err.msg);

    ck_assert_int_eq(db_open_unmigrated(fx_path, &db, &err), DB_OK);
    ck_assert_int_eq(db_schema_version(db), future);
    db_close(db);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(file_with_tables_but_no_version_is_not_ours)
{
    struct dp_err err = {0};
    struct db *db;
    fx_mkdir();
    ck_assert_int_eq(db_open_unmigrated(fx_path, &db, &err), DB_OK);
    ck_assert_int_eq(fx_sql(db, "CREATE TABLE photos(id INTEGER); INSERT INTO photos VALUES (1)"),
                     SQLITE_OK);
    db_close(db);
    ck_assert_int_eq(db_open(fx_path, &db, &err), DB_EINVAL);
    ck_assert_msg(strstr(err.msg, "not a deskpool store"), "%s", err.msg);
    ck_assert_int_eq(db_open_unmigrated(fx_path, &db, &err), DB_OK);
    ck_assert_int_eq(fx_int(db, "SELECT count(*) FROM photos"), 1);
    ck_assert_int_eq(db_schema_version(db), 0);
    db_close(db);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(migrating_past_latest_is_refused)
{
    struct dp_err err = {0};
    struct db *db;
    fx_mkdir();
    ck_assert_int_eq(db_open_unmigrated(fx_path, &db, &err), DB_OK);
    ck_assert_int_eq(db_migrate(db, db_schema_latest() + 1, &err), DB_EINVAL);
    ck_assert_int_eq(db_schema_version(db), 0);
    db_close(db);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(unopenable_path_says_what_to_check)
{
    struct dp_err err = {0};
    struct db *db;
    ck_assert_int_eq(db_open("/nonexistent-dir/deskpool.db", &db, &err), DB_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent-dir/deskpool.db"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "writable"), "%s", err.msg);
}
END_TEST

START_TEST(nested_transactions_are_savepoints)
{
    struct dp_err err = {0};
    ck_assert_int_eq(db_begin(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_group_create(fx_db, "outer", NULL, &err), DB_OK);
    ck_assert_int_eq(db_begin(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_group_create(fx_db, "inner", NULL, &err), DB_OK);
    db_rollback(fx_db); /* undoes only "inner" */
    ck_assert_int_eq(db_commit(fx_db, &err), DB_OK);
    struct db_group g;
    ck_assert_int_eq(db_group_get(fx_db, "outer", &g, &err), DB_OK);
    ck_assert_int_eq(db_group_get(fx_db, "inner", &g, &err), DB_ENOTFOUND);

    /* A failing DAO call inside a caller's transaction leaves the caller's work alone... */
    ck_assert_int_eq(db_begin(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_group_create(fx_db, "kept", NULL, &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_group_create(fx_db, "outer", NULL, &err), DB_EEXISTS);
    ck_assert_int_eq(db_commit(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_group_get(fx_db, "kept", &g, &err), DB_OK);
    /* ...and rolling back the outer transaction undoes everything in it. */
    ck_assert_int_eq(db_begin(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_group_create(fx_db, "gone", NULL, &err), DB_OK);
    db_rollback(fx_db);
    ck_assert_int_eq(db_group_get(fx_db, "gone", &g, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_commit(fx_db, &err), DB_EINVAL); /* nothing open */
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_migrations");
    TCase *tc = tcase_create("open");
    tcase_add_test(tc, fresh_store_is_latest_wal_with_foreign_keys);
    tcase_add_test(tc, older_store_with_data_is_upgraded_and_keeps_it);
    tcase_add_test(tc, store_from_a_newer_deskpool_is_refused_untouched);
    tcase_add_test(tc, file_with_tables_but_no_version_is_not_ours);
    tcase_add_test(tc, migrating_past_latest_is_refused);
    tcase_add_test(tc, unopenable_path_says_what_to_check);
    suite_add_tcase(s, tc);
    TCase *tx = tcase_create("transactions");
    tcase_add_checked_fixture(tx, fx_setup, fx_teardown);
    tcase_add_test(tx, nested_transactions_are_savepoints);
    suite_add_tcase(s, tx);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
