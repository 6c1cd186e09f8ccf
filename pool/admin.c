/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Admin and self-service actions on one VM or a whole pool: each writes the new state (and
 * ends the session it replaces, in the same transaction) and queues the job; none waits
 * for the hypervisor.
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

/* Runs fn on a borrowed connection with VM vm_id read. */
static int with_vm(struct pool_mgr *m, int64_t vm_id, struct dp_err *err,
                   int (*fn)(struct pool_mgr *, struct db *, struct db_vm *, struct dp_err *))
{
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_vm vm;
    int rc = db_vm_get_by_id(db, vm_id, &vm, err);
    if (rc == DB_OK)
        rc = fn(m, db, &vm, err);
    pm_db_put(m, db);
    if (rc == DB_OK)
        pool_mgr_kick(m);
    return rc;
}

static int busy(const struct db_vm *vm, const char *what, struct dp_err *err)
{
    dp_err_set(err, "VM %s is %s; %s it when that is over (deskpool vm show %s)", vm->name,
               vm_state_name(vm->state), what, vm->name);
    return DB_ECONFLICT;
}

/* Ends the VM's live session, if any, and moves it from its current state to `to`, in one
 * transaction. The "from" of the move is the state read here, so a concurrent change makes
 * it fail (DB_ECONFLICT) rather than act on a stale view. */
static int end_and_move(struct db *db, const struct db_vm *vm, enum vm_state to, const char *reason,
                        struct dp_err *err)
{
    struct db_session s;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if (db_session_on_vm(db, vm->id, &s, NULL) == DB_OK)
        rc = db_session_end(db, s.id, reason, err);
    enum vm_state from = vm->state;
    /* A claim nobody used is released first: assigned goes nowhere but ready and error. */
    if (rc == DB_OK && from == VM_ASSIGNED && to != VM_DELETING && to != VM_ERROR) {
        rc = db_vm_set_state(db, vm->id, VM_ASSIGNED, VM_READY, reason, err);
        from = VM_READY;
    }
    if (rc == DB_OK)
        rc = db_vm_set_state(db, vm->id, from, to, reason, err);
    if (rc != DB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db, err);
}

int vm_delete_now(struct pool_mgr *m, struct db *db, const struct db_vm *vm, const char *reason,
                  struct dp_err *err)
{
    if (vm->state != VM_DELETING) {
        int rc = end_and_move(db, vm, VM_DELETING, reason, err);
        if (rc != DB_OK)
            return rc;
    }
    jobs_push(m, JOB_DESTROY, vm->id);
    return DB_OK;
}

static int do_start(struct pool_mgr *m, struct db *db, struct db_vm *vm, struct dp_err *err)
{
    int rc = DB_OK;
    switch (vm->state) {
    case VM_ERROR:
        if (!vm->assigned_user_id) {
            rc = db_vm_set_state(db, vm->id, VM_ERROR, VM_REFRESHING, "admin start: fresh disk",
                                 err);
            if (rc == DB_OK)
                jobs_push(m, JOB_REFRESH, vm->id);
            return rc;
        }
        /* An owned personal VM keeps its disk: power it on as it is. */
        if ((rc = db_vm_set_state(db, vm->id, VM_ERROR, VM_STOPPED, "admin start", err)) != DB_OK)
            return rc;
        __attribute__((fallthrough));
    case VM_STOPPED:
        rc = db_vm_set_state(db, vm->id, VM_STOPPED, VM_STARTING, "admin start", err);
        if (rc == DB_OK)
            jobs_push(m, JOB_START, vm->id);
        return rc;
    case VM_PROVISIONING:
    case VM_STARTING:
    case VM_READY:
    case VM_ASSIGNED:
    case VM_IN_USE:
    case VM_DISCONNECTED:
    case VM_REFRESHING:
        return DB_OK; /* running or about to */
    default:
        return busy(vm, "start", err);
    }
}

int pool_mgr_vm_start(struct pool_mgr *m, int64_t vm_id, struct dp_err *err)
{
    return with_vm(m, vm_id, err, do_start);
}

static int do_stop(struct pool_mgr *m, struct db *db, struct db_vm *vm, struct dp_err *err)
{
    switch (vm->state) {
    case VM_STARTING:
    case VM_READY: {
        int rc = db_vm_set_state(db, vm->id, vm->state, VM_STOPPING, "admin stop", err);
        if (rc == DB_OK)
            jobs_push(m, JOB_STOP, vm->id);
        return rc;
    }
    case VM_STOPPED:
    case VM_STOPPING:
        return DB_OK;
    case VM_ASSIGNED:
    case VM_IN_USE:
    case VM_DISCONNECTED: {
        struct db_session s;
        if (db_session_on_vm(db, vm->id, &s, NULL) == DB_OK)
            dp_err_set(err,
                       "VM %s has a session of %s; log it off first: deskpool session "
                       "logoff %lld",
                       vm->name, s.user, (long long)s.id);
        else
            dp_err_set(err, "VM %s is %s; log its user off first", vm->name,
                       vm_state_name(vm->state));
        return DB_ECONFLICT;
    }
    default:
        return busy(vm, "stop", err);
    }
}

int pool_mgr_vm_stop(struct pool_mgr *m, int64_t vm_id, struct dp_err *err)
{
    return with_vm(m, vm_id, err, do_stop);
}

static int do_reset(struct pool_mgr *m, struct db *db, struct db_vm *vm, struct dp_err *err)
{
    switch (vm->state) {
    case VM_PROVISIONING:
    case VM_REFRESHING:
        return DB_OK; /* a fresh disk is being made already */
    case VM_READY:
    case VM_STOPPED:
    case VM_ERROR:
    case VM_ASSIGNED:
    case VM_IN_USE:
    case VM_DISCONNECTED: {
        int rc = end_and_move(db, vm, VM_REFRESHING, "reset", err);
        if (rc == DB_OK)
            jobs_push(m, JOB_REFRESH, vm->id);
        return rc;
    }
    default:
        return busy(vm, "reset", err);
    }
}

int pool_mgr_vm_reset(struct pool_mgr *m, int64_t vm_id, struct dp_err *err)
{
    return with_vm(m, vm_id, err, do_reset);
}

static int do_delete(struct pool_mgr *m, struct db *db, struct db_vm *vm, struct dp_err *err)
{
    return vm_delete_now(m, db, vm, "admin delete", err);
}

int pool_mgr_vm_delete(struct pool_mgr *m, int64_t vm_id, struct dp_err *err)
{
    return with_vm(m, vm_id, err, do_delete);
}

int pool_mgr_pool_delete(struct pool_mgr *m, int64_t pool_id, int force, struct dp_err *err)
{
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_pool p;
    struct db_session *ss = NULL;
    struct db_vm *vms = NULL;
    size_t ns = 0, nv = 0;
    int rc = db_pool_get_by_id(db, pool_id, &p, err);
    if (rc == DB_OK)
        rc = db_session_list(db, pool_id, 1, &ss, &ns, err);
    if (rc == DB_OK && ns > 0 && !force) {
        dp_err_set(err,
                   "pool \"%s\" has %zu live session(s) (%s on %s, ...); log them off or delete "
                   "with --force",
                   p.name, ns, ss[0].user, ss[0].vm);
        rc = DB_ECONFLICT;
    }
    struct pool_rt *rt = rc == DB_OK ? pm_rt(m, pool_id) : NULL;
    if (rt)
        pthread_mutex_lock(&rt->lock);
    /* Marked first, in the store: a broker killed from here on finishes the job when it
     * starts again (sizing deletes every VM of a pool so marked, then the pool). */
    if (rc == DB_OK && !pool_is_deleting(&p))
        rc = db_pool_set_paused(db, pool_id, 1, POOL_MGR_DELETING_REASON " (deskpool pool delete)",
                                err);
    if (rc == DB_OK)
        rc = db_vm_list(db, pool_id, -1, &vms, &nv, err);
    for (size_t i = 0; rc == DB_OK && i < nv; i++) {
        struct dp_err verr = {0};
        if (vm_delete_now(m, db, &vms[i], "pool deleted", &verr) != DB_OK)
            log_info("pool %s: VM %s: %s (the next tick retries)", p.name, vms[i].name,
                     dp_err_msg(&verr));
    }
    if (rc == DB_OK && nv == 0)
        rc = db_pool_delete(db, p.name, err);
    if (rt)
        pthread_mutex_unlock(&rt->lock);
    free(ss);
    free(vms);
    pm_db_put(m, db);
    if (rc == DB_OK) {
        log_info("pool %s: deleting (%zu VMs)", p.name, nv);
        pool_mgr_kick(m);
    }
    return rc;
}
