/* SPDX-License-Identifier: Apache-2.0 */
/* Sizing: spare targets (L1 running + ready, L2 stopped), min, max and max_provisioning,
 * reached from empty by the pool manager on the fake hypervisor and kept when VMs are
 * taken; and the pure planner on hand-made rows. */
#include "pool_internal.h" /* the pure planner */
#include "test_pool_fixture.h"

#include <pthread.h>

START_TEST(spare_target_reached_and_kept)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 6, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct db_pool_counts c;
    ck_assert_int_eq(db_pool_counts(px_db, p.id, &c, NULL), DB_OK);
    ck_assert_int_eq(c.spare_ready, 2);
    ck_assert_int_eq(c.total, 2);
    int running;
    ck_assert_int_eq(hv_fake_count(px_hv, &running), 2);
    ck_assert_int_eq(running, 2);
    /* RDP ports: recorded, from the range, distinct. */
    ck_assert_int_eq(px_int("SELECT count(DISTINCT rdp_port) FROM vms WHERE rdp_port BETWEEN "
                            "47000 AND 47999"),
                     2);

    /* A user takes one: the pool makes another, so two are ready again. */
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    px_settle();
    ck_assert_int_eq(db_pool_counts(px_db, p.id, &c, NULL), DB_OK);
    ck_assert_int_eq(c.spare_ready, 2);
    ck_assert_int_eq(c.by_state[VM_ASSIGNED], 1);
    ck_assert_int_eq(c.total, 3);
}
END_TEST

START_TEST(l2_spares_are_stopped)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 6, 1, 2, 2);
    px_start();
    px_settle();
    struct db_pool_counts c;
    ck_assert_int_eq(db_pool_counts(px_db, p.id, &c, NULL), DB_OK);
    ck_assert_int_eq(c.spare_ready, 1);
    ck_assert_int_eq(c.spare_stopped, 2);
    ck_assert_int_eq(c.total, 3);
    int running;
    ck_assert_int_eq(hv_fake_count(px_hv, &running), 3);
    ck_assert_int_eq(running, 1); /* L2 spares take no memory */
}
END_TEST

START_TEST(min_is_kept_and_shrinking_deletes)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 3, 6, 1, 0, 2);
    px_start();
    px_settle();
    ck_assert_int_eq(px_count(p.id, -1), 3);
    ck_assert_int_eq(px_count(p.id, VM_READY), 1);
    ck_assert_int_eq(px_count(p.id, VM_STOPPED), 2);
    /* The admin shrinks the pool: VMs beyond the new min go, hypervisor included. */
    struct dp_err err = {0};
    p = px_reload(p.id);
    p.min_vms = 1;
    ck_assert_msg(db_pool_update(px_db, &p, &err) == DB_OK, "%s", err.msg);
    pool_mgr_kick(px_m);
    px_settle();
    ck_assert_int_eq(px_count(p.id, -1), 1);
    ck_assert_int_eq(px_count(p.id, VM_READY), 1);
    ck_assert_int_eq(hv_fake_count(px_hv, NULL), 1);
}
END_TEST

START_TEST(max_is_respected_with_waiting_users)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 3, 0, 0, 3);
    struct db_user u[6];
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "user%d", i);
        u[i] = px_user(name, p.id);
    }
    px_start();
    px_settle();
    ck_assert_int_eq(px_count(p.id, -1), 0); /* spare 0: nothing made before someone asks */
    int ready = 0, full = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 6; i++) {
            struct pool_desktop d;
            struct dp_err err = {0};
            int rc = pool_mgr_request_desktop(px_m, u[i].id, p.id, NULL, &d, &err);
            if (rc == DB_ECONFLICT)
                ck_assert_msg(strstr(err.msg, "at its max of 3"), "%s", err.msg);
            full += rc == DB_ECONFLICT;
            ck_assert_int_le(px_count(p.id, -1), 3);
        }
        px_settle();
    }
    for (int i = 0; i < 6; i++) {
        struct db_session s;
        ready += db_session_live(px_db, u[i].id, p.id, &s, NULL) == DB_OK;
    }
    ck_assert_int_eq(ready, 3);
    ck_assert_int_gt(full, 0);
    ck_assert_int_eq(px_count(p.id, -1), 3);
}
END_TEST

/* Samples the store while the pool fills: never more busy VMs than max_provisioning. */
struct sampler {
    int64_t pool_id;
    int stop, max_busy, samples;
};

static void *sample(void *arg)
{
    struct sampler *s = arg;
    struct db *db;
    ck_assert_int_eq(db_open(px_path, &db, NULL), DB_OK);
    while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
        struct db_pool_counts c;
        if (db_pool_counts(db, s->pool_id, &c, NULL) == DB_OK) {
            if (c.busy > s->max_busy)
                s->max_busy = c.busy;
            s->samples++;
        }
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    db_close(db);
    return NULL;
}

START_TEST(max_provisioning_is_respected)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 4, 0, 1);
    hv_fake_set_ready_delay_ms(px_hv, 40); /* booting takes a while */
    px_cfg.workers = 4;                    /* workers to spare: the limit must come from sizing */
    struct sampler s = {.pool_id = p.id};
    pthread_t t;
    pthread_create(&t, NULL, sample, &s);
    px_start();
    px_settle();
    __atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    ck_assert_int_eq(px_count(p.id, VM_READY), 4);
    ck_assert_int_gt(s.samples, 20);
    ck_assert_int_eq(s.max_busy, 1);
}
END_TEST

/* The planner alone, on rows made by hand. */
static struct db_vm row(int64_t id, enum vm_state st, int64_t version, int64_t owner)
{
    struct db_vm v = {.id = id, .state = st, .template_version_id = version};
    v.assigned_user_id = owner;
    snprintf(v.name, sizeof v.name, "vm-%lld", (long long)id);
    return v;
}

START_TEST(plan_demotes_extra_ready_and_rebuilds_stale_idle_vms)
{
    struct db_pool p;
    db_pool_defaults(&p);
    p.max_vms = 10;
    p.spare = 1;
    p.spare_stopped = 1;
    p.max_provisioning = 2;
    struct db_vm vms[] = {row(1, VM_READY, 7, 0), row(2, VM_READY, 7, 0), row(3, VM_READY, 7, 0),
                          row(4, VM_IN_USE, 6, 0), row(5, VM_STOPPED, 6, 0)};
    struct sizing_in in = {.pool = &p, .vms = vms, .n = 5, .current_version_id = 7, .now = 100};
    struct sizing_plan plan;
    ck_assert_int_eq(sizing_plan(&in, &plan), 0);
    int leave = 0, refresh5 = 0, touched[5] = {0};
    for (size_t i = 0; i < plan.n; i++) {
        leave += plan.acts[i].act == ACT_STOP || plan.acts[i].act == ACT_DELETE;
        refresh5 += plan.acts[i].act == ACT_REFRESH && plan.acts[i].vm == 4;
        touched[plan.acts[i].vm]++;
    }
    ck_assert_int_eq(refresh5, 1);   /* the stale stopped VM is rebuilt */
    ck_assert_int_eq(touched[3], 0); /* the stale VM in use waits for its logoff */
    /* 3 ready for a target of 1: two leave L1 (the refreshing VM fills L2, so they go), and
     * the oldest stays, as the claim takes the oldest. */
    ck_assert_int_eq(leave, 2);
    ck_assert_int_eq(touched[0], 0);
    ck_assert_int_eq(plan.provision, 0);
    free(plan.acts);

    /* Paused: nothing is made, started or retried. */
    p.paused = 1;
    struct db_vm few[] = {row(1, VM_ERROR, 7, 0), row(2, VM_STOPPED, 7, 0)};
    in.vms = few;
    in.n = 2;
    ck_assert_int_eq(sizing_plan(&in, &plan), 0);
    ck_assert_int_eq(plan.provision, 0);
    for (size_t i = 0; i < plan.n; i++)
        ck_assert_int_ne(plan.acts[i].act, ACT_START);
    free(plan.acts);
}
END_TEST

START_TEST(memory_check_names_the_numbers)
{
    char path[128];
    snprintf(path, sizeof path, "%s/meminfo", px_dir);
    const char text[] = "MemTotal:        4000000 kB\nMemAvailable:    1048576 kB\n";
    ck_assert_int_eq(dp_write_file_atomic(path, text, sizeof text - 1, 0644, NULL), 0);
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_check_memory(path, 2, 256, 256, &err), 0);
    ck_assert_int_eq(pool_mgr_check_memory(path, 4, 256, 256, &err), -1);
    ck_assert_msg(strstr(err.msg, "1280 MiB") && strstr(err.msg, "1024 MiB are available"), "%s",
                  err.msg);
}
END_TEST

PX_SUITE("pool_sizing", spare_target_reached_and_kept, l2_spares_are_stopped,
         min_is_kept_and_shrinking_deletes, max_is_respected_with_waiting_users,
         max_provisioning_is_respected, plan_demotes_extra_ready_and_rebuilds_stale_idle_vms,
         memory_check_names_the_numbers)
