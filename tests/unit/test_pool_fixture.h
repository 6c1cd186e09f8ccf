/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_TEST_POOL_FIXTURE_H
#define DESKPOOL_TEST_POOL_FIXTURE_H

/*
 * What the pool manager tests share: a store in a fresh temporary directory with template
 * "tiny" (version 1), a fake hypervisor, a test clock, and helpers to make pools and
 * users and to look at VMs. The manager is started by each test (px_start) after it made
 * its pools, so every test sees it fill them from empty. Header-only: every
 * tests/unit/test_*.c is its own program.
 */
#include "err.h"
#include "files.h"
#include "hv_fake.h"
#include "log.h"
#include "pool_mgr.h"
#include "store/broker_store.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PX_UNUSED __attribute__((unused))

static PX_UNUSED char px_dir[64];
static PX_UNUSED char px_path[128];
static PX_UNUSED struct db *px_db;
static PX_UNUSED struct hv *px_hv;
static PX_UNUSED struct pool_mgr *px_m;
static PX_UNUSED struct pool_mgr_config px_cfg;
static PX_UNUSED struct db_template_version px_tv;
static PX_UNUSED int64_t px_clock;

static PX_UNUSED int64_t px_now(void *arg)
{
    return __atomic_load_n(&px_clock, __ATOMIC_SEQ_CST);
}

static PX_UNUSED void px_advance(int64_t s)
{
    __atomic_add_fetch(&px_clock, s, __ATOMIC_SEQ_CST);
    db_set_now(px_db, px_now(NULL));
}

static PX_UNUSED struct db_template_version px_version(int n)
{
    struct dp_err err = {0};
    struct db_template_version tv = {0};
    snprintf(tv.template_name, sizeof tv.template_name, "tiny");
    snprintf(tv.base_path, sizeof tv.base_path, "%s/templates/tiny/%d/base.qcow2", px_dir, n);
    snprintf(tv.sha256, sizeof tv.sha256, "%064d", n);
    tv.memory_mb = 256;
    tv.vcpus = 1;
    tv.has_rdp = 1;
    ck_assert_msg(db_template_version_add(px_db, &tv, &err) == DB_OK, "%s", err.msg);
    return tv;
}

static PX_UNUSED void px_setup(void)
{
    struct dp_err err = {0};
    dp_log_init("test", getenv("PX_DEBUG") ? DP_LOG_DEBUG : DP_LOG_ERROR, 0);
    snprintf(px_dir, sizeof px_dir, "/tmp/dp-pool-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(px_dir));
    snprintf(px_path, sizeof px_path, "%s/deskpool.db", px_dir);
    ck_assert_msg(db_open(px_path, &px_db, &err) == DB_OK, "%s", err.msg);
    px_clock = 1700000000;
    db_set_now(px_db, px_clock);
    px_tv = px_version(1);
    px_hv = hv_fake_open(px_dir, &err);
    ck_assert_ptr_nonnull(px_hv);
    memset(&px_cfg, 0, sizeof px_cfg);
    px_cfg.db_path = px_path;
    px_cfg.state_dir = px_dir;
    px_cfg.hv = px_hv;
    px_cfg.tick_ms = 50;
    px_cfg.workers = 2;
    px_cfg.wait_ready = hv_fake_wait_ready;
    px_cfg.set_password = hv_fake_set_password;
    px_cfg.meminfo_path = ""; /* fake VMs take no memory */
    px_cfg.port_min = 47000;
    px_cfg.port_max = 47999;
    px_cfg.reconcile_ms = 100;
    px_cfg.error_retry_s = -1; /* retry at once */
    px_cfg.now = px_now;
    px_m = NULL;
}

static PX_UNUSED void px_start(void)
{
    struct dp_err err = {0};
    px_m = pool_mgr_start(&px_cfg, &err);
    ck_assert_msg(px_m != NULL, "%s", err.msg);
}

static PX_UNUSED void px_settle(void)
{
    ck_assert_msg(pool_mgr_settle(px_m, 10000) == 0, "the pool manager did not settle in 10 s");
}

static PX_UNUSED void px_teardown(void)
{
    pool_mgr_stop(px_m);
    px_m = NULL;
    px_hv->ops->close(px_hv);
    db_close(px_db);
    dp_remove_tree(px_dir, NULL);
}

/* A pool of template tiny with the given sizing; everything else as `pool create` makes
 * it, but boot clones (instant is not wired yet). */
static PX_UNUSED struct db_pool px_pool(const char *name, enum db_pool_type type, int min, int max,
                                        int spare, int spare_stopped, int max_prov)
{
    struct dp_err err = {0};
    struct db_pool p;
    db_pool_defaults(&p);
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.template_name, sizeof p.template_name, "tiny");
    p.type = type;
    p.min_vms = min;
    p.max_vms = max;
    p.spare = spare;
    p.spare_stopped = spare_stopped;
    p.max_provisioning = max_prov;
    p.clone_mode = DB_CLONE_BOOT;
    ck_assert_msg(db_pool_create(px_db, &p, &err) == DB_OK, "%s", err.msg);
    return p;
}

/* User NAME, entitled to pool_id (0: none). */
static PX_UNUSED struct db_user px_user(const char *name, int64_t pool_id)
{
    struct dp_err err = {0};
    struct db_user u;
    ck_assert_msg(db_user_create(px_db, name, name, &u, &err) == DB_OK, "%s", err.msg);
    if (pool_id)
        ck_assert_msg(db_entitle_user(px_db, pool_id, u.id, &err) == DB_OK, "%s", err.msg);
    return u;
}

static PX_UNUSED struct db_pool px_reload(int64_t pool_id)
{
    struct db_pool p;
    ck_assert_int_eq(db_pool_get_by_id(px_db, pool_id, &p, NULL), DB_OK);
    return p;
}

/* VMs of a pool in a state (-1: all). */
static PX_UNUSED int px_count(int64_t pool_id, int state)
{
    struct db_vm *vms = NULL;
    size_t n = 0;
    ck_assert_int_eq(db_vm_list(px_db, pool_id, state, &vms, &n, NULL), DB_OK);
    free(vms);
    return (int)n;
}

static PX_UNUSED struct db_vm px_vm(const char *name)
{
    struct db_vm vm;
    struct dp_err err = {0};
    ck_assert_msg(db_vm_get(px_db, name, &vm, &err) == DB_OK, "%s", err.msg);
    return vm;
}

/* Asks until READY (settling in between), within 10 s; returns the last rc. */
static PX_UNUSED int px_request(int64_t user_id, int64_t pool_id, struct pool_desktop *out,
                                struct dp_err *err)
{
    for (int i = 0; i < 200; i++) {
        dp_err_clear(err);
        int rc = pool_mgr_request_desktop(px_m, user_id, pool_id, "10.0.0.9", out, err);
        if (rc != DB_OK || out->status == POOL_DESKTOP_READY)
            return rc;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    dp_err_set(err, "no desktop ready after 10 s");
    return DB_ECONFLICT;
}

/* The first column of the first row of sql as an integer (-1: no row). */
static PX_UNUSED long long px_int(const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db_sqlite(px_db), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static PX_UNUSED void px_sql(const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db_sqlite(px_db), sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

#define PX_SUITE(name, ...)                                                                        \
    int main(void)                                                                                 \
    {                                                                                              \
        Suite *s = suite_create(name);                                                             \
        TCase *tc = tcase_create("core");                                                          \
        tcase_add_checked_fixture(tc, px_setup, px_teardown);                                      \
        tcase_set_timeout(tc, 60);                                                                 \
        const TTest *tests[] = {__VA_ARGS__};                                                      \
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)                                \
            tcase_add_test(tc, tests[i]);                                                          \
        suite_add_tcase(s, tc);                                                                    \
        SRunner *r = srunner_create(s);                                                            \
        srunner_run_all(r, CK_NORMAL);                                                             \
        int failed = srunner_ntests_failed(r);                                                     \
        srunner_free(r);                                                                           \
        return failed ? 1 : 0;                                                                     \
    }

#endif
