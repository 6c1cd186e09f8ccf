/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session timeouts, run every tick: sessions past their pool's disconnect, idle or
 * max-session timeout are logged off (a pooled VM is then refreshed); claims whose user
 * never connected are released; sessions still on a stale VM after a recompose deadline
 * are logged off so their VMs get the new version.
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static int logoff(struct pool_mgr *m, struct db *db, const struct db_session *s, const char *reason)
{
    struct dp_err err = {0};
    if (pool_logoff(m, db, s, reason, &err) == DB_OK)
        return 1;
    log_info("session %lld: logoff (%s) not done: %s", (long long)s->id, reason, dp_err_msg(&err));
    return 0;
}

/* Live sessions whose VM is still assigned (the gateway never reported the user
 * connected) for longer than the claim timeout. */
static int expire_claims(struct pool_mgr *m, struct db *db, int64_t now)
{
    struct db_vm *vms = NULL;
    size_t n = 0;
    int done = 0;
    if (db_vm_list(db, 0, VM_ASSIGNED, &vms, &n, NULL) != DB_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        struct db_session s;
        if (vms[i].state_changed + m->cfg.claim_timeout_s > now || jobs_busy(m, vms[i].id))
            continue;
        if (db_session_on_vm(db, vms[i].id, &s, NULL) == DB_OK) {
            done += logoff(m, db, &s, "claim expired: the user never connected");
        } else if (db_vm_set_state(db, vms[i].id, VM_ASSIGNED, VM_READY,
                                   "claim without a session (broker restarted mid-assignment)",
                                   NULL) == DB_OK) {
            done++;
        }
    }
    free(vms);
    return done;
}

/* Sessions on stale VMs of pools whose recompose deadline has passed. */
static int recompose_deadlines(struct pool_mgr *m, struct db *db, int64_t now)
{
    int done = 0;
    pthread_mutex_lock(&m->rt_mu);
    struct pool_rt *rts = m->rts;
    pthread_mutex_unlock(&m->rt_mu);
    /* The list only grows at its head and is freed at stop: walking it unlocked is safe. */
    for (struct pool_rt *rt = rts; rt; rt = rt->next) {
        pthread_mutex_lock(&rt->lock);
        int64_t deadline = rt->recompose_deadline;
        if (deadline && deadline <= now)
            rt->recompose_deadline = 0;
        pthread_mutex_unlock(&rt->lock);
        if (!deadline || deadline > now)
            continue;
        struct db_pool p;
        struct db_template_version cur;
        struct db_session *ss = NULL;
        size_t n = 0;
        if (db_pool_get_by_id(db, rt->pool_id, &p, NULL) != DB_OK ||
            pool_current_version(db, &p, &cur, NULL) != DB_OK ||
            db_session_list(db, p.id, 1, &ss, &n, NULL) != DB_OK)
            continue;
        for (size_t i = 0; i < n; i++) {
            struct db_vm vm;
            if (db_vm_get_by_id(db, ss[i].vm_id, &vm, NULL) == DB_OK &&
                vm.template_version_id != cur.id &&
                (p.type == DB_POOL_POOLED || vm.assigned_user_id == 0))
                done += logoff(m, db, &ss[i], "recompose deadline: forced logoff");
        }
        free(ss);
    }
    return done;
}

int timeouts_run(struct pool_mgr *m, struct db *db)
{
    int64_t now = pm_now(m);
    struct db_session_timeout *t = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int done = 0;
    if (db_sessions_timed_out(db, now, &t, &n, &err) != DB_OK) {
        log_error("pool manager: %s", dp_err_msg(&err));
    } else {
        for (size_t i = 0; i < n; i++) {
            char reason[64];
            snprintf(reason, sizeof reason, "%s", db_timeout_reason_name(t[i].reason));
            done += logoff(m, db, &t[i].session, reason);
        }
        free(t);
    }
    done += expire_claims(m, db, now);
    done += recompose_deadlines(m, db, now);
    return done;
}
