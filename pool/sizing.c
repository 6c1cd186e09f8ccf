/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sizing: what a pool should have and what to do to get there (Horizon/OpenUDS style).
 *   spare          L1: running, ready and unowned, so a user gets one at once
 *   spare_stopped  L2: disk made, powered off, so a spare costs a boot but no memory
 *   min / max      total VMs kept at least / never exceeded
 *   max_provisioning  VMs provisioning, starting or refreshing at once (small hosts)
 * Users told "starting" add one each to the L1 target while they wait. Owned personal VMs
 * count in the total but never as spares. The plan is a pure function of the pool's rows
 * (sizing_plan); sizing_apply_pool writes each step to the store and queues the job.
 */
#include "pool_internal.h"

#include "err.h"
#include "files.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unowned(const struct db_vm *v)
{
    return v->assigned_user_id == 0;
}

static void act(struct sizing_plan *plan, char *used, enum sizing_act a, size_t i)
{
    plan->acts[plan->n].act = a;
    plan->acts[plan->n].vm = i;
    plan->n++;
    used[i] = 1;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

int sizing_plan(const struct sizing_in *in, struct sizing_plan *plan)
{
    const struct db_pool *p = in->pool;
    const struct db_vm *v = in->vms;
    size_t n = in->n;
    memset(plan, 0, sizeof *plan);
    plan->acts = malloc((n ? n : 1) * sizeof *plan->acts);
    char *used = calloc(n ? n : 1, 1);
    if (!plan->acts || !used) {
        free(plan->acts);
        free(used);
        plan->acts = NULL;
        return -1;
    }
    if (in->deleting) {
        for (size_t i = 0; i < n; i++)
            if (v[i].state != VM_DELETING)
                act(plan, used, ACT_DELETE, i);
        free(used);
        return 0;
    }
    int paused = p->paused;
    int busy = 0, total = (int)n;
    for (size_t i = 0; i < n; i++)
        busy += v[i].state == VM_PROVISIONING || v[i].state == VM_STARTING ||
                v[i].state == VM_REFRESHING;
    int budget = p->max_provisioning - busy;
    int refreshing_planned = 0;

    /* 1. Retry VMs in error (after a pause, so a broken template does not spin): a fresh
     * disk, or for an owned personal VM its own disk powered off (its user's data). */
    for (size_t i = 0; i < n && !paused; i++) {
        if (v[i].state != VM_ERROR || v[i].state_changed + in->error_retry_s > in->now)
            continue;
        if (p->type == DB_POOL_PERSONAL && !unowned(&v[i])) {
            act(plan, used, ACT_RECOVER, i);
        } else if (budget > 0) {
            act(plan, used, ACT_REFRESH, i);
            budget--;
            refreshing_planned++;
        }
    }
    /* 2. Recompose: idle unowned VMs on another version than the pool's current one. */
    for (size_t i = 0; i < n && !paused && in->current_version_id; i++) {
        if (used[i] || !unowned(&v[i]) || v[i].template_version_id == in->current_version_id ||
            (v[i].state != VM_READY && v[i].state != VM_STOPPED) || budget <= 0)
            continue;
        act(plan, used, ACT_REFRESH, i);
        budget--;
        refreshing_planned++;
    }
    /* 3. Above max (the admin shrank the pool): idle unowned VMs go, cheapest loss first. */
    static const enum vm_state shrink_order[] = {VM_ERROR, VM_STOPPED, VM_READY};
    for (size_t k = 0; k < 3 && total > p->max_vms; k++)
        for (size_t i = 0; i < n && total > p->max_vms; i++)
            if (!used[i] && unowned(&v[i]) && v[i].state == shrink_order[k]) {
                act(plan, used, ACT_DELETE, i);
                total--;
            }

    int ready1 = 0, starting1 = 0, pending = refreshing_planned, stopped2 = 0, stopping2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (!unowned(&v[i]))
            continue;
        ready1 += !used[i] && v[i].state == VM_READY;
        starting1 += v[i].state == VM_STARTING;
        pending += v[i].state == VM_PROVISIONING || v[i].state == VM_REFRESHING;
        stopped2 += !used[i] && v[i].state == VM_STOPPED;
        stopping2 += v[i].state == VM_STOPPING;
    }
    /* 4. L1. VMs whose disk is being made start if L1 is short when they are done
     * (sizing_wants_running), so they count towards L1 first. */
    int deficit1 = p->spare + in->waiters - ready1 - starting1;
    if (deficit1 > 0) {
        int x = imin(pending, deficit1);
        deficit1 -= x;
        pending -= x;
        for (size_t i = 0; i < n && deficit1 > 0 && budget > 0 && !paused; i++) {
            if (used[i] || !unowned(&v[i]) || v[i].state != VM_STOPPED)
                continue;
            act(plan, used, ACT_START, i);
            deficit1--;
            budget--;
            stopped2--;
        }
    } else if (deficit1 < 0) {
        /* More ready spares than wanted: demote to L2 while it has room, else delete down
         * to min, else demote anyway. Newest rows first: the oldest ready VM is claimed
         * first (db_vm_claim), so it stays. */
        int extra = imin(-deficit1, ready1), have2 = stopped2 + stopping2 + pending;
        for (size_t j = n; j-- > 0 && extra > 0;) {
            if (used[j] || !unowned(&v[j]) || v[j].state != VM_READY)
                continue;
            if (have2 >= p->spare_stopped && total > p->min_vms) {
                act(plan, used, ACT_DELETE, j);
                total--;
            } else {
                act(plan, used, ACT_STOP, j);
                have2++;
                stopping2++;
            }
            extra--;
        }
        deficit1 = 0;
    }
    /* 5. L2, min and max decide how many new VMs to make. */
    int deficit2 = p->spare_stopped - (stopped2 + stopping2 + pending);
    int prov = (deficit1 > 0 ? deficit1 : 0) + (deficit2 > 0 ? deficit2 : 0);
    if (total + prov < p->min_vms)
        prov = p->min_vms - total;
    if (total + prov > p->max_vms)
        prov = p->max_vms - total;
    if (paused || !in->current_version_id)
        prov = 0;
    plan->provision = imin(prov, budget) > 0 ? imin(prov, budget) : 0;
    /* 6. Too many L2 spares (and L1 not short, which would start them): delete to min. */
    if (deficit2 < 0 && deficit1 <= 0 && !paused) {
        int extra = imin(-deficit2, total - p->min_vms);
        for (size_t j = n; j-- > 0 && extra > 0;) {
            if (used[j] || !unowned(&v[j]) || v[j].state != VM_STOPPED)
                continue;
            act(plan, used, ACT_DELETE, j);
            extra--;
        }
    }
    free(used);
    return 0;
}

int pool_mgr_check_memory(const char *meminfo_path, int vms, int memory_mb, int reserve_mb,
                          struct dp_err *err)
{
    const char *path = meminfo_path ? meminfo_path : "/proc/meminfo";
    if (!path[0] || vms <= 0)
        return 0;
    char *text = dp_read_file(path, 1 << 16, NULL, err);
    if (!text)
        return -1;
    char *line = strstr(text, "MemAvailable:");
    long long avail_kb = -1;
    if (line)
        sscanf(line, "MemAvailable: %lld kB", &avail_kb);
    free(text);
    if (avail_kb < 0) {
        dp_err_set(err, "cannot read MemAvailable from %s", path);
        return -1;
    }
    long long need_mb = (long long)vms * memory_mb + reserve_mb, avail_mb = avail_kb / 1024;
    if (avail_mb < need_mb) {
        dp_err_set(err,
                   "not enough host memory: %d VM(s) of %d MiB need %lld MiB with %d MiB kept "
                   "free, and %lld MiB are available; lower max or memory, or add memory",
                   vms, memory_mb, need_mb, reserve_mb, avail_mb);
        return -1;
    }
    return 0;
}

/* Memory one more running VM of pool p needs; 0 if the check is off. Logs a refusal at most
 * once a minute per pool. */
static int memory_ok(struct pool_mgr *m, struct db *db, const struct db_pool *p, struct pool_rt *rt)
{
    if (m->cfg.meminfo_path && !m->cfg.meminfo_path[0])
        return 1;
    struct db_template_version tv;
    int mb = p->memory_mb;
    if (mb <= 0)
        mb = pool_current_version(db, p, &tv, NULL) == DB_OK ? tv.memory_mb : 256;
    struct dp_err err = {0};
    if (pool_mgr_check_memory(m->cfg.meminfo_path, 1, mb, m->cfg.mem_reserve_mb, &err) == 0)
        return 1;
    if (dp_now_ms() - rt->mem_logged_ms > 60000) {
        log_warn("pool %s: not starting a VM: %s", p->name, dp_err_msg(&err));
        rt->mem_logged_ms = dp_now_ms();
    }
    return 0;
}

int sizing_new_vm(struct pool_mgr *m, struct db *db, const struct db_pool *p, struct db_vm *out,
                  struct dp_err *err)
{
    struct db_template_version tv;
    if (pool_current_version(db, p, &tv, err) != DB_OK)
        return -1;
    int port = ports_take(m, err);
    if (port < 0)
        return -1;
    int rc = DB_EEXISTS;
    /* The next name is a suggestion another connection may take first: ask again. */
    for (int attempt = 0; attempt < 5 && rc == DB_EEXISTS; attempt++) {
        memset(out, 0, sizeof *out);
        dp_err_clear(err);
        if ((rc = db_pool_next_vm_name(db, p, out->name, sizeof out->name, err)) != DB_OK)
            break;
        out->pool_id = p->id;
        out->template_version_id = tv.id;
        out->rdp_port = port;
        rc = db_vm_create(db, out, err);
    }
    if (rc != DB_OK) {
        ports_release(m, port);
        return -1;
    }
    jobs_push(m, JOB_PROVISION, out->id);
    return 0;
}

int sizing_retry_error_vm(struct pool_mgr *m, struct db *db, const struct db_pool *p,
                          const struct db_vm *vm, const char *why, struct dp_err *err)
{
    if (p->type == DB_POOL_PERSONAL && !unowned(vm))
        return db_vm_set_state(db, vm->id, VM_ERROR, VM_STOPPED,
                               "retry: powered off, the owner's disk kept", err);
    int rc = db_vm_set_state(db, vm->id, VM_ERROR, VM_REFRESHING, why, err);
    if (rc == DB_OK)
        jobs_push(m, JOB_REFRESH, vm->id);
    return rc;
}

/* Carries out one planned step: the state first, then the job that acts on it. */
static int apply_one(struct pool_mgr *m, struct db *db, const struct db_pool *p, struct pool_rt *rt,
                     const struct db_vm *vm, enum sizing_act a)
{
    struct dp_err err = {0};
    int rc = DB_OK;
    char why[128];
    switch (a) {
    case ACT_START:
        if (!memory_ok(m, db, p, rt))
            return 0;
        snprintf(why, sizeof why, "L1 spare target %d", p->spare);
        if ((rc = db_vm_set_state(db, vm->id, VM_STOPPED, VM_STARTING, why, &err)) == DB_OK)
            jobs_push(m, JOB_START, vm->id);
        break;
    case ACT_STOP:
        snprintf(why, sizeof why, "more ready spares than the target %d", p->spare);
        if ((rc = db_vm_set_state(db, vm->id, VM_READY, VM_STOPPING, why, &err)) == DB_OK)
            jobs_push(m, JOB_STOP, vm->id);
        break;
    case ACT_REFRESH:
        if (vm->state == VM_ERROR) {
            rc = sizing_retry_error_vm(m, db, p, vm, "retry with a fresh disk", &err);
            break;
        }
        rc = db_vm_set_state(db, vm->id, vm->state, VM_REFRESHING,
                             "recompose: new template version", &err);
        if (rc == DB_OK)
            jobs_push(m, JOB_REFRESH, vm->id);
        break;
    case ACT_RECOVER:
        rc = sizing_retry_error_vm(m, db, p, vm, "retry with a fresh disk", &err);
        break;
    case ACT_DELETE:
        rc = vm_delete_now(
            m, db, vm, pool_is_deleting(p) ? "pool deleted" : "pool shrinks to its targets", &err);
        break;
    }
    if (rc != DB_OK) {
        /* Usually a lost compare-and-set: someone claimed or moved it first. */
        log_debug("pool %s, VM %s: %s", p->name, vm->name, dp_err_msg(&err));
        return 0;
    }
    return 1;
}

int sizing_apply_pool(struct pool_mgr *m, struct db *db, const struct db_pool *p,
                      struct pool_rt *rt)
{
    struct dp_err err = {0};
    struct db_vm *vms = NULL;
    size_t n = 0;
    int deleting = pool_is_deleting(p);
    if (db_vm_list(db, p->id, -1, &vms, &n, &err) != DB_OK) {
        log_error("pool %s: %s", p->name, dp_err_msg(&err));
        return 0;
    }
    if (deleting && n == 0) {
        free(vms);
        if (db_pool_delete(db, p->name, &err) == DB_OK) {
            log_info("pool %s deleted", p->name);
            return 1;
        }
        log_warn("pool %s: %s", p->name, dp_err_msg(&err));
        return 0;
    }
    struct db_template_version cur = {0};
    if (!deleting && pool_current_version(db, p, &cur, &err) != DB_OK)
        log_debug("pool %s: %s", p->name, dp_err_msg(&err));
    struct sizing_in in = {
        .pool = p,
        .vms = vms,
        .n = n,
        .current_version_id = cur.id,
        .waiters = sizing_waiters(rt),
        .now = pm_now(m),
        .error_retry_s = m->cfg.error_retry_s,
        .deleting = deleting,
    };
    struct sizing_plan plan;
    int acted = 0;
    if (sizing_plan(&in, &plan) != 0) {
        free(vms);
        return 0;
    }
    for (size_t i = 0; i < plan.n; i++) {
        const struct db_vm *vm = &vms[plan.acts[i].vm];
        if (!jobs_busy(m, vm->id)) /* in motion already: look again next tick */
            acted += apply_one(m, db, p, rt, vm, plan.acts[i].act);
    }
    for (int i = 0; i < plan.provision; i++) {
        struct db_vm vm;
        if (!memory_ok(m, db, p, rt))
            break;
        dp_err_clear(&err);
        if (sizing_new_vm(m, db, p, &vm, &err) != 0) {
            log_warn("pool %s: cannot add a VM: %s", p->name, dp_err_msg(&err));
            break;
        }
        acted++;
    }
    free(plan.acts);
    free(vms);
    return acted;
}

int sizing_wants_running(struct pool_mgr *m, struct db *db, const struct db_vm *vm)
{
    if (vm->assigned_user_id)
        return 1; /* a personal VM being reset or recovered: its owner wants it */
    struct db_pool p;
    struct db_vm *vms = NULL;
    size_t n = 0;
    if (db_pool_get_by_id(db, vm->pool_id, &p, NULL) != DB_OK || p.paused ||
        db_vm_list(db, vm->pool_id, -1, &vms, &n, NULL) != DB_OK)
        return 0;
    int l1 = 0;
    for (size_t i = 0; i < n; i++)
        l1 += vms[i].id != vm->id && unowned(&vms[i]) &&
              (vms[i].state == VM_READY || vms[i].state == VM_STARTING);
    free(vms);
    struct pool_rt *rt = pm_rt(m, p.id);
    pthread_mutex_lock(&rt->lock);
    int want = p.spare + sizing_waiters(rt);
    pthread_mutex_unlock(&rt->lock);
    return l1 < want;
}

int sizing_waiters(struct pool_rt *rt)
{
    uint64_t now = dp_now_ms();
    size_t k = 0;
    for (size_t i = 0; i < rt->nwait; i++)
        if (rt->waiters[i].until_ms > now)
            rt->waiters[k++] = rt->waiters[i];
    rt->nwait = k;
    return (int)k;
}

void sizing_add_waiter(struct pool_mgr *m, struct pool_rt *rt, int64_t user_id)
{
    uint64_t until = dp_now_ms() + 3000ull * (uint64_t)m->cfg.retry_after_s;
    for (size_t i = 0; i < rt->nwait; i++) {
        if (rt->waiters[i].user_id == user_id) {
            rt->waiters[i].until_ms = until;
            return;
        }
    }
    if (rt->nwait == rt->capwait) {
        size_t cap = rt->capwait ? rt->capwait * 2 : 8;
        struct pool_waiter *w = realloc(rt->waiters, cap * sizeof *w);
        if (!w)
            return; /* the user still gets a VM: only a little later, from the spare target */
        rt->waiters = w;
        rt->capwait = cap;
    }
    rt->waiters[rt->nwait].user_id = user_id;
    rt->waiters[rt->nwait].until_ms = until;
    rt->nwait++;
}

void sizing_drop_waiter(struct pool_rt *rt, int64_t user_id)
{
    for (size_t i = 0; i < rt->nwait; i++) {
        if (rt->waiters[i].user_id == user_id) {
            rt->waiters[i] = rt->waiters[--rt->nwait];
            return;
        }
    }
}
