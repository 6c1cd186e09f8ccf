/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Assignment: a user asks for a desktop in a pool. In order: their live session's VM
 * (reconnect), their personal VM, a ready spare claimed atomically, else one is started and
 * the answer is STARTING. The decision runs under the pool's lock, so concurrent requests
 * of one pool are serialised (one user never gets two VMs, one VM never two users: the
 * store's claim and its unique session indexes make sure of the latter regardless). The
 * slow part, setting the one-time password in the guest, runs after the lock is released.
 * Also the gateway's session events (connected, disconnected, logoff); a disconnect queues
 * the question to the guest whether the user logged off (guest_sessions.c).
 */
#include "pool_internal.h"

#include "err.h"
#include "files.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum decision {
    D_CLAIMED,   /* a VM was just claimed for the user and a session recorded */
    D_RECONNECT, /* the user's live session's VM */
    D_STARTING,  /* nothing ready: one is on its way */
};

/* Why a start is impossible, or the name of a VM on its way for this pool. */
static int coming_vm(struct db *db, const struct db_pool *p, char *name, size_t cap,
                     struct dp_err *err)
{
    struct db_vm *vms = NULL;
    size_t n = 0;
    if (db_vm_list(db, p->id, -1, &vms, &n, err) != DB_OK)
        return DB_EIO;
    int stopped = 0, found = 0;
    for (size_t i = 0; i < n; i++) {
        if (vms[i].assigned_user_id)
            continue;
        enum vm_state s = vms[i].state;
        if (!found && (s == VM_STARTING || s == VM_PROVISIONING || s == VM_REFRESHING)) {
            snprintf(name, cap, "%s", vms[i].name);
            found = 1;
        }
        stopped += s == VM_STOPPED || s == VM_STOPPING || s == VM_ERROR;
    }
    free(vms);
    if (found || stopped || (int)n < p->max_vms)
        return DB_OK;
    dp_err_set(err,
               "pool \"%s\" is at its max of %d VMs and every one is in use; raise it "
               "(deskpool pool resize %s --max N) or log sessions off",
               p->name, p->max_vms, p->name);
    return DB_ECONFLICT;
}

/* Starts a stopped VM at a user's request: the state first, then the job. */
static int start_for_user(struct pool_mgr *m, struct db *db, const struct db_vm *vm,
                          struct dp_err *err)
{
    if (vm->state == VM_ERROR && db_vm_set_state(db, vm->id, VM_ERROR, VM_STOPPED,
                                                 "its owner asked for it: retry", err) != DB_OK)
        return DB_ECONFLICT;
    int rc = db_vm_set_state(db, vm->id, VM_STOPPED, VM_STARTING, "its owner asked for it", err);
    if (rc == DB_OK)
        jobs_push(m, JOB_START, vm->id);
    return rc;
}

/* The user's own VM in a personal pool, if they have one: READY after a claim, STARTING, or
 * DB_ENOTFOUND when they have none yet. */
static int personal(struct pool_mgr *m, struct db *db, const struct db_user *u,
                    const struct db_pool *p, const char *client, struct db_vm *vm,
                    struct db_session *s, enum decision *d, struct dp_err *err)
{
    int rc = db_vm_personal(db, p->id, u->id, vm, NULL);
    if (rc != DB_OK)
        return rc;
    switch (vm->state) {
    case VM_READY:
        if ((rc = db_vm_claim(db, p->id, u->id, vm, err)) != DB_OK)
            return rc;
        if ((rc = db_session_start(db, u->id, vm->id, p->id, client, s, err)) != DB_OK) {
            db_vm_set_state(db, vm->id, VM_ASSIGNED, VM_READY, "session not recorded", NULL);
            return rc;
        }
        *d = D_CLAIMED;
        return DB_OK;
    case VM_ERROR:
        if (p->paused) {
            dp_err_set(err, "pool \"%s\" is paused (%s); %s's desktop %s failed: %s", p->name,
                       p->paused_reason, u->name, vm->name, vm->last_error);
            return DB_ECONFLICT;
        }
        __attribute__((fallthrough));
    case VM_STOPPED:
        if ((rc = start_for_user(m, db, vm, err)) != DB_OK)
            return rc;
        *d = D_STARTING;
        return DB_OK;
    case VM_PROVISIONING:
    case VM_STARTING:
    case VM_REFRESHING:
    case VM_STOPPING: /* it will be stopped; the next request starts it */
    case VM_DELETING: /* going; the next request gets the user a new one */
        *d = D_STARTING;
        return DB_OK;
    default:
        dp_err_set(err, "%s's desktop %s is %s but has no session; reset it: deskpool vm reset %s",
                   u->name, vm->name, vm_state_name(vm->state), vm->name);
        return DB_ECONFLICT;
    }
}

/* The decision, under the pool's lock. CLAIMED and RECONNECT fill vm and s. */
static int decide(struct pool_mgr *m, struct db *db, const struct db_user *u,
                  const struct db_pool *p, struct pool_rt *rt, const char *client, struct db_vm *vm,
                  struct db_session *s, enum decision *d, struct dp_err *err)
{
    /* 1. Reconnect. */
    if (db_session_live(db, u->id, p->id, s, NULL) == DB_OK) {
        if (db_vm_get_by_id(db, s->vm_id, vm, NULL) == DB_OK && vm_state_holds_user(vm->state)) {
            *d = D_RECONNECT;
            return DB_OK;
        }
        /* The session outlived its VM (it died or was reset): end it and start over. */
        int rc = pool_logoff(m, db, s, "its VM is no longer usable", err);
        if (rc != DB_OK)
            return rc;
    }
    /* 2. The user's personal VM. */
    int rc =
        p->type == DB_POOL_PERSONAL ? personal(m, db, u, p, client, vm, s, d, err) : DB_ENOTFOUND;
    if (rc != DB_ENOTFOUND)
        return rc;
    /* 3. A ready spare. */
    rc = db_vm_claim(db, p->id, u->id, vm, NULL);
    if (rc == DB_OK) {
        if ((rc = db_session_start(db, u->id, vm->id, p->id, client, s, err)) != DB_OK) {
            db_vm_set_state(db, vm->id, VM_ASSIGNED, VM_READY, "session not recorded", NULL);
            return rc;
        }
        sizing_drop_waiter(rt, u->id);
        *d = D_CLAIMED;
        pool_mgr_kick(m); /* a spare is gone: make the next one */
        return DB_OK;
    }
    if (rc != DB_ENOTFOUND)
        return rc;
    /* 4. Start one: the user waits, which raises the pool's L1 target by one. */
    if (p->paused) {
        dp_err_set(err, "pool \"%s\" is paused: %s", p->name, p->paused_reason);
        return DB_ECONFLICT;
    }
    memset(vm, 0, sizeof *vm);
    if ((rc = coming_vm(db, p, vm->name, sizeof vm->name, err)) != DB_OK)
        return rc;
    sizing_add_waiter(m, rt, u->id);
    sizing_apply_pool(m, db, p, rt);
    if (!vm->name[0])
        coming_vm(db, p, vm->name, sizeof vm->name, NULL);
    *d = D_STARTING;
    return DB_OK;
}

/* The password could not be set in a VM just claimed: its guest agent is broken. The
 * session ends and the VM goes to error (then rebuilt), so the user can get another. */
static void give_up_claim(struct pool_mgr *m, struct db *db, const struct db_vm *vm,
                          const struct db_session *s, const char *why)
{
    if (db_begin(db, NULL) != DB_OK)
        return;
    if (db_session_end(db, s->id, "credentials could not be set", NULL) != DB_OK ||
        db_vm_set_state(db, vm->id, VM_ASSIGNED, VM_ERROR, why, NULL) != DB_OK) {
        db_rollback(db);
        return;
    }
    if (db_commit(db, NULL) == DB_OK) {
        log_warn("VM %s: %s", vm->name, why);
        m->hv->ops->kill(m->hv, vm->name, NULL);
    }
}

/*
 * A guest job of the VM about to be handed out runs first (jobs_run_now), so the request
 * never overtakes it: the previous session's forced logoff ends in the guest before new
 * credentials are set, and a reconnect to a disconnected session waits for the guest's
 * answer to "did the user log off?". Returns 1 if that answer ended the session (the caller
 * decides again), else 0.
 */
static int guest_jobs_first(struct pool_mgr *m, struct db *db, const struct db_vm *vm,
                            const struct db_session *s, enum decision d)
{
    uint64_t deadline = dp_now_ms() + (uint64_t)guest_timeout_ms(m) + 1000;
    jobs_run_now(m, db, JOB_GUEST_LOGOFF, vm->id, deadline);
    if (d != D_RECONNECT || !jobs_run_now(m, db, JOB_GUEST_CHECK, vm->id, deadline))
        return 0;
    struct db_session now;
    return db_session_get(db, s->id, &now, NULL) == DB_OK && now.state == DB_SESSION_ENDED;
}

/* Entitlement and account checks: DB_EDENIED / DB_ENOTFOUND with what to do. */
static int may_request(struct db *db, int64_t user_id, int64_t pool_id, struct db_user *u,
                       struct db_pool *p, struct dp_err *err)
{
    int rc = db_user_get_by_id(db, user_id, u, err);
    if (rc == DB_OK)
        rc = db_pool_get_by_id(db, pool_id, p, err);
    if (rc != DB_OK)
        return rc;
    if (!u->enabled) {
        dp_err_set(err, "user \"%s\" is disabled; enable them first: deskpool user enable %s",
                   u->name, u->name);
        return DB_EDENIED;
    }
    int ent = db_user_entitled(db, u->id, p->id, err);
    if (ent < 0)
        return ent;
    if (!ent) {
        dp_err_set(err, "user \"%s\" is not entitled to pool \"%s\"; run: deskpool entitle %s %s",
                   u->name, p->name, p->name, u->name);
        return DB_EDENIED;
    }
    if (pool_is_deleting(p)) {
        dp_err_set(err, "pool \"%s\" is being deleted", p->name);
        return DB_ECONFLICT;
    }
    return DB_OK;
}

/* Milliseconds on the monotonic clock, for the decision times in the log. */
static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int pool_mgr_request_desktop(struct pool_mgr *m, int64_t user_id, int64_t pool_id,
                             const char *client_addr, struct pool_desktop *out, struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    /* The log line of an assignment says how long the broker took to pick and claim the
     * desktop and how long the guest agent took to take the one-time password (logon
     * storm benchmark: bench/storm_bench.sh reads them). */
    double t0 = mono_ms(), t_decided = t0;
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_user u;
    struct db_pool p;
    int rc = may_request(db, user_id, pool_id, &u, &p, err);
    struct pool_rt *rt = rc == DB_OK ? pm_rt(m, pool_id) : NULL;
    /* A claimed VM whose guest agent fails is given up and the next one tried. */
    for (int attempt = 0; rc == DB_OK && attempt < 3; attempt++) {
        struct db_vm vm;
        struct db_session s;
        enum decision d = D_STARTING;
        pthread_mutex_lock(&rt->lock);
        pm_db_clock(m, db);
        rc = db_pool_get_by_id(db, pool_id, &p, err); /* paused may have changed */
        if (rc == DB_OK)
            rc = decide(m, db, &u, &p, rt, client_addr, &vm, &s, &d, err);
        pthread_mutex_unlock(&rt->lock);
        t_decided = mono_ms();
        int fresh_claim = d == D_CLAIMED;
        if (rc != DB_OK)
            break;
        if (d != D_STARTING && guest_jobs_first(m, db, &vm, &s, d)) {
            /* The guest reported the user logged off and the session is over: decide again
             * (a fresh desktop). Counts as an attempt, so this cannot loop. */
            if (attempt == 2) {
                dp_err_set(err, "desktop %s of %s was logged off meanwhile; ask again", vm.name,
                           u.name);
                rc = DB_ECONFLICT;
            }
            continue;
        }
        snprintf(out->vm, sizeof out->vm, "%s", vm.name);
        if (d == D_STARTING) {
            out->status = POOL_DESKTOP_STARTING;
            out->retry_after_s = m->cfg.retry_after_s;
            break;
        }
        const char *account = m->cfg.guest_account ? m->cfg.guest_account : u.name;
        struct dp_err perr = {0};
        if (cred_make_password(out->password, 25, err) != 0) {
            rc = DB_EIO;
            break;
        }
        /* The guest agent may take seconds: the connection goes back meanwhile, so slow
         * guests do not hold up other callers. */
        pm_db_put(m, db);
        int set = m->cfg.set_password(m->hv, vm.name, account, out->password, m->cfg.qga_timeout_ms,
                                      &perr);
        if (!(db = pm_db_get(m, err))) {
            rc = DB_EIO;
            break;
        }
        if (set != 0) {
            explicit_bzero(out->password, sizeof out->password);
            if (!fresh_claim) {
                dp_err_set(err, "desktop %s of %s: %s; try again in a moment", vm.name, u.name,
                           dp_err_msg(&perr));
                rc = DB_ECONFLICT;
                break;
            }
            give_up_claim(m, db, &vm, &s, dp_err_msg(&perr));
            if (attempt == 2) {
                dp_err_set(err, "pool \"%s\": could not set credentials in 3 desktops (last: %s)",
                           p.name, dp_err_msg(&perr));
                rc = DB_ECONFLICT;
            }
            continue;
        }
        out->status = POOL_DESKTOP_READY;
        out->session_id = s.id;
        snprintf(out->host, sizeof out->host, "127.0.0.1"); /* user networking: hostfwd */
        out->port = vm.rdp_port;
        snprintf(out->username, sizeof out->username, "%s", account);
        log_info("desktop %s for %s in pool %s (session %lld%s; decided in %.1f ms, password "
                 "set in %.1f ms)",
                 vm.name, u.name, p.name, (long long)s.id, fresh_claim ? "" : ", reconnect",
                 t_decided - t0, mono_ms() - t_decided);
        break;
    }
    pm_db_put(m, db);
    return rc;
}

int pool_mgr_session_event(struct pool_mgr *m, int64_t session_id, enum pool_session_event ev,
                           int64_t bytes_in, int64_t bytes_out, struct dp_err *err)
{
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_session s;
    struct db_vm vm;
    int rc = db_session_get(db, session_id, &s, err);
    if (rc == DB_OK && s.state == DB_SESSION_ENDED) {
        dp_err_set(err, "session %lld of %s has ended; ask for a desktop again",
                   (long long)session_id, s.user);
        rc = DB_ECONFLICT;
    }
    int have_vm = rc == DB_OK && s.vm_id && db_vm_get_by_id(db, s.vm_id, &vm, NULL) == DB_OK;
    if (rc == DB_OK)
        rc = db_session_touch(db, s.id, bytes_in, bytes_out, err);
    if (rc != DB_OK) {
        pm_db_put(m, db);
        return rc;
    }
    switch (ev) {
    case POOL_SESSION_CONNECTED:
        if ((rc = db_begin(db, err)) != DB_OK)
            break;
        if (s.state == DB_SESSION_DISCONNECTED)
            rc = db_session_reconnect(db, s.id, NULL, err);
        if (rc == DB_OK && have_vm && (vm.state == VM_ASSIGNED || vm.state == VM_DISCONNECTED))
            rc = db_vm_set_state(db, vm.id, vm.state, VM_IN_USE, "user connected", err);
        if (rc == DB_OK)
            rc = db_commit(db, err);
        else
            db_rollback(db);
        break;
    case POOL_SESSION_DISCONNECTED:
        if (s.state != DB_SESSION_CONNECTED)
            break; /* told twice */
        if ((rc = db_begin(db, err)) != DB_OK)
            break;
        rc = db_session_disconnect(db, s.id, err);
        if (rc == DB_OK && have_vm && vm.state == VM_IN_USE)
            rc = db_vm_set_state(db, vm.id, VM_IN_USE, VM_DISCONNECTED, "connection ended", err);
        if (rc == DB_OK)
            rc = db_commit(db, err);
        else
            db_rollback(db);
        /* Closed client or logoff inside the desktop? Only the guest knows: a worker asks. */
        if (rc == DB_OK && have_vm && vm.state == VM_IN_USE)
            jobs_push_guest(m, JOB_GUEST_CHECK, vm.id, s.id, guest_account(m, &s));
        break;
    case POOL_SESSION_LOGOFF:
        rc = pool_logoff(m, db, &s, "logoff", err);
        break;
    }
    pm_db_put(m, db);
    return rc;
}
