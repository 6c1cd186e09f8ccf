/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_TEST_BROKER_FIXTURE_H
#define DESKPOOL_TEST_BROKER_FIXTURE_H

/*
 * What the broker store tests share: a store in a fresh temporary directory with one
 * template ("tiny", version 1), a pooled pool "lab" and a personal pool "desk", users alice
 * and bob. Header-only because every tests/unit/test_*.c is its own program.
 */
#include "err.h"
#include "files.h"
#include "store/broker_store.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX_UNUSED __attribute__((unused))

static FX_UNUSED char fx_dir[64];
static FX_UNUSED char fx_path[128];
static FX_UNUSED struct db *fx_db;
static FX_UNUSED struct db_template_version fx_tv;
static FX_UNUSED struct db_pool fx_lab, fx_desk;
static FX_UNUSED struct db_user fx_alice, fx_bob;

static inline void fx_mkdir(void)
{
    snprintf(fx_dir, sizeof fx_dir, "/tmp/dp-broker-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx_dir));
    snprintf(fx_path, sizeof fx_path, "%s/deskpool.db", fx_dir);
}

static inline void fx_add_pool(const char *name, enum db_pool_type type, struct db_pool *out)
{
    struct dp_err err = {0};
    db_pool_defaults(out);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->template_name, sizeof out->template_name, "tiny");
    out->type = type;
    out->max_vms = 4;
    out->spare = 2;
    ck_assert_msg(db_pool_create(fx_db, out, &err) == DB_OK, "%s", err.msg);
}

static inline void fx_setup(void)
{
    struct dp_err err = {0};
    fx_mkdir();
    ck_assert_msg(db_open(fx_path, &fx_db, &err) == DB_OK, "%s", err.msg);
    db_set_now(fx_db, 1700000000);
    memset(&fx_tv, 0, sizeof fx_tv);
    snprintf(fx_tv.template_name, sizeof fx_tv.template_name, "tiny");
    snprintf(fx_tv.base_path, sizeof fx_tv.base_path,
             "/var/lib/deskpool/templates/tiny/1/base.qcow2");
    snprintf(fx_tv.sha256, sizeof fx_tv.sha256, "%064d", 0);
    fx_tv.memory_mb = 256;
    fx_tv.vcpus = 1;
    fx_tv.has_rdp = 1;
    ck_assert_msg(db_template_version_add(fx_db, &fx_tv, &err) == DB_OK, "%s", err.msg);
    fx_add_pool("lab", DB_POOL_POOLED, &fx_lab);
    fx_add_pool("desk", DB_POOL_PERSONAL, &fx_desk);
    ck_assert_msg(db_user_create(fx_db, "alice", "Alice", &fx_alice, &err) == DB_OK, "%s", err.msg);
    ck_assert_msg(db_user_create(fx_db, "bob", "Bob", &fx_bob, &err) == DB_OK, "%s", err.msg);
}

static inline void fx_teardown(void)
{
    db_close(fx_db);
    fx_db = NULL;
    dp_remove_tree(fx_dir, NULL);
}

/* Creates VM `name` in `pool` and walks it along allowed edges to `state` (ready or one of
 * the states before it). */
static inline struct db_vm fx_vm(const char *name, const struct db_pool *pool, enum vm_state state)
{
    struct dp_err err = {0};
    struct db_vm vm = {0};
    snprintf(vm.name, sizeof vm.name, "%s", name);
    vm.pool_id = pool->id;
    vm.template_version_id = fx_tv.id;
    ck_assert_msg(db_vm_create(fx_db, &vm, &err) == DB_OK, "%s", err.msg);
    static const enum vm_state path[] = {VM_PROVISIONING, VM_STOPPED, VM_STARTING, VM_READY};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0] && vm.state != state; i++) {
        ck_assert_msg(db_vm_set_state(fx_db, vm.id, path[i], path[i + 1], "test", &err) == DB_OK,
                      "%s", err.msg);
        vm.state = path[i + 1];
    }
    ck_assert_int_eq(vm.state, state);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &vm, &err), DB_OK);
    return vm;
}

/* Runs SQL on the raw handle; returns the primary sqlite result code (the store turns on
 * extended codes). */
static inline int fx_sql(struct db *db, const char *sql)
{
    return sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL) & 0xff;
}

/* The first column of the first row of `sql` as an integer (-1 if no row). */
static inline long long fx_int(struct db *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
