/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Assignment benchmark on the fake hypervisor: N users (1,000 by default) ask for a desktop
 * at the same moment (one thread each, released by a barrier) from pools whose spares are
 * all ready, so what is measured is the pool manager's assignment path: entitlement checks,
 * the per-pool lock, the atomic claim, the session row, the one-time password (a no-op in
 * the fake guest), on a real sqlite store in WAL mode. Run side by side in one process:
 * all users in one pool (every request serialised on that pool), and the same users spread
 * over 4 pools. Prints and writes JSON with throughput and latency percentiles.
 * Usage: pool_bench [OUT_JSON] [USERS]
 */
#include "err.h"
#include "files.h"
#include "hv_fake.h"
#include "log.h"
#include "pool_mgr.h"
#include "store/broker_store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct asker {
    pthread_barrier_t *go;
    struct pool_mgr *m;
    int64_t user_id, pool_id;
    uint64_t ns;
    int ok;
};

struct result {
    const char *name;
    int pools, users, ok;
    double wall_ms, per_s, p50_ms, p99_ms, max_ms, fill_ms;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const struct dp_err *err)
{
    fprintf(stderr, "pool_bench: %s: %s\n", what, err ? dp_err_msg(err) : "failed");
    exit(1);
}

static void *ask(void *arg)
{
    struct asker *a = arg;
    struct pool_desktop d;
    struct dp_err err = {0};
    pthread_barrier_wait(a->go);
    uint64_t t0 = now_ns();
    int rc = pool_mgr_request_desktop(a->m, a->user_id, a->pool_id, "10.0.0.1", &d, &err);
    a->ns = now_ns() - t0;
    a->ok = rc == DB_OK && d.status == POOL_DESKTOP_READY;
    if (!a->ok)
        fprintf(stderr, "pool_bench: request failed: %d %s\n", rc, err.msg);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One scenario in a fresh store: `pools` pools sharing `users` users, all spares ready. */
static struct result run(const char *name, int pools, int users)
{
    struct result r = {.name = name, .pools = pools, .users = users};
    struct dp_err err = {0};
    char dir[] = "/tmp/dp-pool-bench-XXXXXX", path[128];
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(path, sizeof path, "%s/deskpool.db", dir);
    struct db *db;
    if (db_open(path, &db, &err) != DB_OK)
        die("store", &err);
    struct db_template_version tv = {0};
    snprintf(tv.template_name, sizeof tv.template_name, "tiny");
    snprintf(tv.base_path, sizeof tv.base_path, "%s/base.qcow2", dir);
    snprintf(tv.sha256, sizeof tv.sha256, "%064d", 0);
    tv.memory_mb = 256;
    tv.vcpus = 1;
    tv.has_rdp = 1;
    if (db_template_version_add(db, &tv, &err) != DB_OK)
        die("template", &err);
    struct db_group g;
    if (db_group_create(db, "everyone", &g, &err) != DB_OK)
        die("group", &err);
    int64_t *pool_ids = calloc((size_t)pools, sizeof *pool_ids);
    int per_pool = (users + pools - 1) / pools;
    for (int i = 0; i < pools; i++) {
        struct db_pool p;
        db_pool_defaults(&p);
        snprintf(p.name, sizeof p.name, "bench%d", i);
        snprintf(p.template_name, sizeof p.template_name, "tiny");
        p.max_vms = per_pool;
        p.spare = per_pool;
        p.max_provisioning = per_pool;
        p.clone_mode = DB_CLONE_BOOT;
        if (db_pool_create(db, &p, &err) != DB_OK || db_entitle_group(db, p.id, g.id, &err))
            die("pool", &err);
        pool_ids[i] = p.id;
    }
    struct asker *a = calloc((size_t)users, sizeof *a);
    if (db_begin(db, &err) != DB_OK)
        die("begin", &err);
    for (int i = 0; i < users; i++) {
        char uname[32];
        struct db_user u;
        snprintf(uname, sizeof uname, "user%04d", i);
        if (db_user_create(db, uname, uname, &u, &err) != DB_OK ||
            db_group_add_member(db, g.id, u.id, &err) != DB_OK)
            die("user", &err);
        a[i].user_id = u.id;
        a[i].pool_id = pool_ids[i % pools];
    }
    if (db_commit(db, &err) != DB_OK)
        die("commit", &err);

    struct hv *hv = hv_fake_open(dir, &err);
    struct pool_mgr_config cfg = {
        .db_path = path,
        .state_dir = dir,
        .hv = hv,
        .tick_ms = 200,
        .workers = 2,
        .wait_ready = hv_fake_wait_ready,
        .set_password = hv_fake_set_password,
        .meminfo_path = "",
        .port_min = 20000,
        .port_max = 29999,
    };
    uint64_t t0 = now_ns();
    struct pool_mgr *m = pool_mgr_start(&cfg, &err);
    if (!m)
        die("pool manager", &err);
    if (pool_mgr_settle(m, 600000) != 0)
        die("filling the pools took over 10 minutes", NULL);
    r.fill_ms = (double)(now_ns() - t0) / 1e6;
    struct db_pool_counts c;
    int ready = 0;
    for (int i = 0; i < pools; i++)
        if (db_pool_counts(db, pool_ids[i], &c, NULL) == DB_OK)
            ready += c.spare_ready;
    if (ready < users) {
        fprintf(stderr, "pool_bench: only %d of %d spares ready\n", ready, users);
        exit(1);
    }

    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)users + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t *t = calloc((size_t)users, sizeof *t);
    for (int i = 0; i < users; i++) {
        a[i].go = &go;
        a[i].m = m;
        if (pthread_create(&t[i], &attr, ask, &a[i]) != 0)
            die("pthread_create", NULL);
    }
    pthread_barrier_wait(&go);
    uint64_t start = now_ns();
    for (int i = 0; i < users; i++)
        pthread_join(t[i], NULL);
    uint64_t wall = now_ns() - start;

    uint64_t *lat = calloc((size_t)users, sizeof *lat);
    for (int i = 0; i < users; i++) {
        lat[i] = a[i].ns;
        r.ok += a[i].ok;
    }
    qsort(lat, (size_t)users, sizeof *lat, cmp_u64);
    r.wall_ms = (double)wall / 1e6;
    r.per_s = users / (r.wall_ms / 1000.0);
    r.p50_ms = (double)lat[users / 2] / 1e6;
    r.p99_ms = (double)lat[(users * 99) / 100 - (users >= 100 ? 1 : 0)] / 1e6;
    r.max_ms = (double)lat[users - 1] / 1e6;
    /* Never two users on one VM: the store's live sessions name as many VMs as users. */
    sqlite3_stmt *st;
    int distinct = -1;
    if (sqlite3_prepare_v2(db_sqlite(db),
                           "SELECT count(DISTINCT vm_id) FROM sessions WHERE state <> 'ended'", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        distinct = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (distinct != r.ok) {
        fprintf(stderr, "pool_bench: %d desktops handed out on %d VMs\n", r.ok, distinct);
        exit(1);
    }

    pool_mgr_stop(m);
    hv->ops->close(hv);
    db_close(db);
    dp_remove_tree(dir, NULL);
    pthread_barrier_destroy(&go);
    pthread_attr_destroy(&attr);
    free(t);
    free(lat);
    free(a);
    free(pool_ids);
    return r;
}

int main(int argc, char **argv)
{
    const char *out = argc > 1 ? argv[1] : "bench/results/pool.json";
    int users = argc > 2 ? atoi(argv[2]) : 1000;
    if (users < 4) {
        fprintf(stderr, "usage: pool_bench [OUT_JSON] [USERS >= 4]\n");
        return 2;
    }
    dp_log_init("pool_bench", DP_LOG_ERROR, 0);
    struct result rs[] = {run("one pool", 1, users), run("four pools", 4, users)};
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    fprintf(f,
            "{\n  \"benchmark\": \"pool assignment, fake hypervisor, all spares ready\",\n"
            "  \"concurrent_requests\": %d,\n  \"scenarios\": [\n",
            users);
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        struct result *r = &rs[i];
        printf("%-10s %4d requests, %d pool(s): %d ok, %.0f ms wall, %.0f req/s, p50 %.2f ms, "
               "p99 %.2f ms, max %.2f ms (fill %.0f ms)\n",
               r->name, r->users, r->pools, r->ok, r->wall_ms, r->per_s, r->p50_ms, r->p99_ms,
               r->max_ms, r->fill_ms);
        fprintf(f,
                "    {\"name\": \"%s\", \"pools\": %d, \"requests\": %d, \"ok\": %d, "
                "\"wall_ms\": %.1f, \"requests_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
                "\"max_ms\": %.3f, \"fill_ms\": %.1f}%s\n",
                r->name, r->pools, r->users, r->ok, r->wall_ms, r->per_s, r->p50_ms, r->p99_ms,
                r->max_ms, r->fill_ms, i + 1 < sizeof rs / sizeof rs[0] ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
    return rs[0].ok == users && rs[1].ok == users ? 0 : 1;
}
