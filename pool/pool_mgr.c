/* SPDX-License-Identifier: Apache-2.0 */
/* The pool manager's life: start, the tick thread, kick, settle, stop; and the small
 * shared pieces every file uses (connection cache, per-pool runtime state, the clock). */
#include "pool_internal.h"

#include "err.h"
#include "files.h"
#include "log.h"
#include "ready.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fill_defaults(struct pool_mgr_config *c)
{
#define DEF(field, value)                                                                          \
    if (c->field <= 0)                                                                             \
    c->field = (value)
    DEF(tick_ms, 1000);
    DEF(workers, 2);
    DEF(ready_timeout_ms, 180000);
    DEF(stop_timeout_ms, 30000);
    DEF(restraint_failures, 3);
    DEF(restraint_window_s, 600);
    DEF(port_min, 41000);
    DEF(port_max, 42999);
    DEF(reconcile_ms, 5000);
    DEF(claim_timeout_s, 300);
    DEF(retry_after_s, 1);
    DEF(qga_timeout_ms, 10000);
    DEF(mem_reserve_mb, 256);
#undef DEF
    if (c->error_retry_s < 0)
        c->error_retry_s = 0;
    else if (c->error_retry_s == 0)
        c->error_retry_s = 30;
    if (c->restraint_failures > RESTRAINT_MAX)
        c->restraint_failures = RESTRAINT_MAX;
    if (!c->wait_ready)
        c->wait_ready = hv_wait_ready;
    if (!c->set_password)
        c->set_password = cred_set_password_qga;
    if (!c->reserved_prefix)
        c->reserved_prefix = "parent-"; /* hv/parent.c names its build VMs so */
}

int64_t pm_now(struct pool_mgr *m)
{
    return m->cfg.now ? m->cfg.now(m->cfg.now_arg) : (int64_t)time(NULL);
}

void pm_db_clock(struct pool_mgr *m, struct db *db)
{
    db_set_now(db, m->cfg.now ? m->cfg.now(m->cfg.now_arg) : 0);
}

static struct db *db_take(struct pool_mgr *m, int lend, struct dp_err *err)
{
    struct db *db = NULL;
    pthread_mutex_lock(&m->db_mu);
    while (lend && m->lent_db >= POOL_DB_LEND_MAX)
        pthread_cond_wait(&m->db_cv, &m->db_mu);
    m->lent_db += lend;
    if (m->nidle_db > 0)
        db = m->idle_db[--m->nidle_db];
    pthread_mutex_unlock(&m->db_mu);
    if (!db && db_open(m->cfg.db_path, &db, err) != DB_OK) {
        db = NULL;
        pthread_mutex_lock(&m->db_mu);
        m->lent_db -= lend;
        pthread_cond_signal(&m->db_cv);
        pthread_mutex_unlock(&m->db_mu);
        return NULL;
    }
    db_set_actor(db, "pool-manager");
    pm_db_clock(m, db);
    return db;
}

static void db_give(struct pool_mgr *m, struct db *db, int lend)
{
    pthread_mutex_lock(&m->db_mu);
    m->lent_db -= lend;
    int cached = db && m->nidle_db < (int)(sizeof m->idle_db / sizeof m->idle_db[0]);
    if (cached)
        m->idle_db[m->nidle_db++] = db;
    pthread_cond_signal(&m->db_cv);
    pthread_mutex_unlock(&m->db_mu);
    if (!cached)
        db_close(db);
}

struct db *pm_db_get(struct pool_mgr *m, struct dp_err *err)
{
    return db_take(m, 1, err);
}

void pm_db_put(struct pool_mgr *m, struct db *db)
{
    if (db)
        db_give(m, db, 1);
}

struct db *pm_db_own(struct pool_mgr *m, struct dp_err *err)
{
    return db_take(m, 0, err);
}

void pm_db_disown(struct pool_mgr *m, struct db *db)
{
    if (db)
        db_give(m, db, 0);
}

struct pool_rt *pm_rt(struct pool_mgr *m, int64_t pool_id)
{
    pthread_mutex_lock(&m->rt_mu);
    struct pool_rt *rt = m->rts;
    while (rt && rt->pool_id != pool_id)
        rt = rt->next;
    if (!rt) {
        /* Never freed before pool_mgr_stop: a pool's few hundred bytes outlive its deletion
         * so that no caller holds a pointer to freed memory. */
        rt = calloc(1, sizeof *rt);
        if (!rt)
            abort(); /* a few hundred bytes; nothing sensible to do without them */
        rt->pool_id = pool_id;
        pthread_mutex_init(&rt->lock, NULL);
        rt->next = m->rts;
        m->rts = rt;
    }
    pthread_mutex_unlock(&m->rt_mu);
    return rt;
}

int pool_is_deleting(const struct db_pool *p)
{
    return p->paused && strncmp(p->paused_reason, POOL_MGR_DELETING_REASON,
                                strlen(POOL_MGR_DELETING_REASON)) == 0;
}

/* One pass over everything. Returns how many things it set in motion. */
static int tick(struct pool_mgr *m, struct db *db)
{
    struct dp_err err = {0};
    int acted = 0;
    pm_db_clock(m, db);
    if (dp_now_ms() >= m->next_reconcile_ms) {
        acted += reconcile(m, db);
        m->next_reconcile_ms = dp_now_ms() + (uint64_t)m->cfg.reconcile_ms;
    }
    acted += timeouts_run(m, db);
    struct db_pool *pools = NULL;
    size_t n = 0;
    if (db_pool_list(db, &pools, &n, &err) != DB_OK) {
        log_error("pool manager: cannot list pools: %s", dp_err_msg(&err));
        return acted;
    }
    for (size_t i = 0; i < n; i++) {
        struct pool_rt *rt = pm_rt(m, pools[i].id);
        acted += restraint_tick(m, db, &pools[i]);
        pthread_mutex_lock(&rt->lock);
        restraint_observe(rt, pools[i].paused);
        acted += sizing_apply_pool(m, db, &pools[i], rt);
        pthread_mutex_unlock(&rt->lock);
    }
    free(pools);
    return acted;
}

static void *tick_main(void *arg)
{
    struct pool_mgr *m = arg;
    struct dp_err err = {0};
    struct db *db = NULL;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        if (!m->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += m->cfg.tick_ms / 1000;
            until.tv_nsec += (long)(m->cfg.tick_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&m->kick_cv, &m->mu, &until);
            if (m->stopping)
                break;
        }
        m->kicked = 0;
        uint64_t seq = ++m->ticks_started;
        pthread_mutex_unlock(&m->mu);

        int quiet_before = jobs_idle(m);
        int acted = 0;
        if (!db && !(db = pm_db_own(m, &err))) {
            log_error("pool manager: %s", dp_err_msg(&err));
            dp_err_clear(&err);
        } else {
            acted = tick(m, db);
        }
        pthread_mutex_lock(&m->mu);
        m->ticks_done = seq;
        if (db && quiet_before && acted == 0 && jobs_idle(m))
            m->quiet_tick = seq;
        pthread_cond_broadcast(&m->tick_cv);
    }
    pthread_mutex_unlock(&m->mu);
    pm_db_disown(m, db);
    return NULL;
}

void pool_mgr_kick(struct pool_mgr *m)
{
    pthread_mutex_lock(&m->mu);
    m->kicked = 1;
    pthread_cond_signal(&m->kick_cv);
    pthread_mutex_unlock(&m->mu);
}

int pool_mgr_settle(struct pool_mgr *m, int timeout_ms)
{
    uint64_t deadline = dp_now_ms() + (uint64_t)timeout_ms;
    while (dp_now_ms() < deadline) {
        jobs_wait_idle(m, deadline);
        pthread_mutex_lock(&m->mu);
        /* A tick that starts after this point sees every job that finished before it. */
        uint64_t want = m->ticks_started + 1;
        m->kicked = 1;
        pthread_cond_signal(&m->kick_cv);
        while (m->ticks_done < want && !m->stopping && dp_now_ms() < deadline) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 20 * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&m->tick_cv, &m->mu, &until);
        }
        int quiet = m->ticks_done >= want && m->quiet_tick == m->ticks_done;
        pthread_mutex_unlock(&m->mu);
        if (quiet)
            return 0;
    }
    return -1;
}

/* A broker killed between claiming a VM for a user and recording the session (two steps of
 * assign.c) left the VM assigned with no session: no one can connect to it, and the claim
 * timeout (claim_timeout_s, minutes) would keep it from every user meanwhile. At start, before
 * any request can be between those two steps, such claims are released at once. */
static int release_cut_claims(struct pool_mgr *m, struct db *db)
{
    struct db_vm *vms = NULL;
    size_t n = 0;
    int done = 0;
    if (db_vm_list(db, 0, VM_ASSIGNED, &vms, &n, NULL) != DB_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        struct db_session s;
        if (jobs_busy(m, vms[i].id) || db_session_on_vm(db, vms[i].id, &s, NULL) != DB_ENOTFOUND)
            continue;
        if (db_vm_set_state(db, vms[i].id, VM_ASSIGNED, VM_READY,
                            "claim without a session (broker killed mid-assignment)",
                            NULL) == DB_OK) {
            log_warn("VM %s (pool %s): claimed but no session was recorded before the broker "
                     "stopped; released",
                     vms[i].name, vms[i].pool_name);
            done++;
        }
    }
    free(vms);
    return done;
}

struct pool_mgr *pool_mgr_start(const struct pool_mgr_config *cfg, struct dp_err *err)
{
    struct pool_mgr *m = calloc(1, sizeof *m);
    if (!m) {
        dp_err_set(err, "pool manager: out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    fill_defaults(&m->cfg);
    if (m->cfg.port_max < m->cfg.port_min || m->cfg.port_max > 65535) {
        dp_err_set(err,
                   "pool manager: RDP port range %d-%d is empty or beyond 65535; fix it in "
                   "the configuration",
                   m->cfg.port_min, m->cfg.port_max);
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->kick_cv, NULL);
    pthread_cond_init(&m->tick_cv, NULL);
    pthread_mutex_init(&m->db_mu, NULL);
    pthread_cond_init(&m->db_cv, NULL);
    pthread_mutex_init(&m->rt_mu, NULL);
    pthread_mutex_init(&m->port_mu, NULL);
    if (m->cfg.hv) {
        m->hv = m->cfg.hv;
    } else if (m->cfg.open_hv) {
        m->hv = m->cfg.open_hv(m->cfg.state_dir, err);
        m->own_hv = 1;
    } else {
        dp_err_set(err, "pool manager: no hypervisor driver configured (open_hv or hv)");
    }
    struct db *db = m->hv ? pm_db_get(m, err) : NULL;
    if (!db || ports_init(m, db, err) != 0 || jobs_init(m, m->cfg.workers, err) != 0) {
        pm_db_put(m, db);
        pool_mgr_stop(m);
        return NULL;
    }
    /* Reconcile once before anything else runs, so half-done work of a broker that died is
     * finished or undone before new work is planned on top of it. */
    int repaired = reconcile(m, db);
    repaired += release_cut_claims(m, db);
    if (repaired)
        log_info("pool manager: reconciliation at start repaired %d VM(s)", repaired);
    m->next_reconcile_ms = dp_now_ms() + (uint64_t)m->cfg.reconcile_ms;
    pm_db_put(m, db);
    if (jobs_start_workers(m, err) != 0) {
        pool_mgr_stop(m);
        return NULL;
    }
    int e = pthread_create(&m->tick_thread, NULL, tick_main, m);
    if (e != 0) {
        errno = e;
        dp_err_errno(err, "pool manager: cannot start its thread");
        pool_mgr_stop(m);
        return NULL;
    }
    m->have_tick = 1;
    pool_mgr_kick(m); /* the first tick at once */
    log_info("pool manager: started (%d workers, tick %d ms, RDP ports %d-%d)", m->cfg.workers,
             m->cfg.tick_ms, m->cfg.port_min, m->cfg.port_max);
    return m;
}

void pool_mgr_stop(struct pool_mgr *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    int had_tick = m->have_tick;
    m->stopping = 1;
    pthread_cond_broadcast(&m->kick_cv);
    pthread_cond_broadcast(&m->tick_cv);
    pthread_mutex_unlock(&m->mu);
    if (had_tick)
        pthread_join(m->tick_thread, NULL);
    jobs_stop(m); /* waits for running jobs; queued ones are redone by the next reconcile */
    for (int i = 0; i < m->nidle_db; i++)
        db_close(m->idle_db[i]);
    while (m->rts) {
        struct pool_rt *rt = m->rts;
        m->rts = rt->next;
        pthread_mutex_destroy(&rt->lock);
        free(rt->waiters);
        free(rt);
    }
    if (m->own_hv && m->hv)
        m->hv->ops->close(m->hv);
    free(m->ports_used);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->kick_cv);
    pthread_cond_destroy(&m->tick_cv);
    pthread_mutex_destroy(&m->db_mu);
    pthread_cond_destroy(&m->db_cv);
    pthread_mutex_destroy(&m->rt_mu);
    pthread_mutex_destroy(&m->port_mu);
    free(m);
}
