/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciliation: the store says what should be, the hypervisor says what is. Run at start
 * (a broker killed at any point left a state that says what may be half done) and every
 * reconcile_ms (QEMU processes die). VMs with a job queued or running are in motion and
 * left alone. What it does, by the store's state:
 *   (no row)        an orphan QEMU process or VM folder: destroyed (a parent build VM only
 *                   when its build was cut short)
 *   provisioning    make the disk again (or keep the one a killed broker finished)
 *   starting        QEMU runs: keep waiting; QEMU gone: error (then retried)
 *   ready .. disconnected   QEMU gone or the guest shut down: error, the session ended
 *   stopped         QEMU runs although it should not: killed; disk gone: error
 *   refreshing, stopping, deleting   the job is queued again (each step is idempotent)
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"
#include "parent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct hv_vm_status *find(const struct hv_vm_status *hs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(hs[i].name, name) == 0)
            return &hs[i];
    return NULL;
}

/* An instant-clone parent's build VM whose builder died (a broker killed mid-build) keeps
 * running, holding a guest's memory, until a build of that version happens to run again,
 * which may be never. The driver knows whether a build still holds it. */
static int abandoned_build(struct pool_mgr *m, const struct hv_vm_status *h)
{
    if (!pool_instant_capable(m) || !hv_parent_build_abandoned(m->hv, h->name))
        return 0;
    struct dp_err err = {0};
    if (m->hv->ops->destroy(m->hv, h->name, &err) != 0) {
        log_warn("reconcile: abandoned parent build VM %s: %s", h->name, dp_err_msg(&err));
        return 0;
    }
    log_warn("reconcile: destroyed the parent build VM %s, whose build was cut short", h->name);
    return 1;
}

/* A VM the store does not know: left over from a deleted row, a crashed create, or an
 * older install. Instant-clone parents' build VMs (reserved prefix) are the driver's: only
 * those whose build was cut short are removed. */
static int orphans(struct pool_mgr *m, struct db *db, const struct hv_vm_status *hs, size_t nh)
{
    int done = 0;
    size_t plen = strlen(m->cfg.reserved_prefix);
    for (size_t i = 0; i < nh; i++) {
        struct db_vm vm;
        if (plen && strncmp(hs[i].name, m->cfg.reserved_prefix, plen) == 0) {
            done += abandoned_build(m, &hs[i]);
            continue;
        }
        if (db_vm_get(db, hs[i].name, &vm, NULL) != DB_ENOTFOUND)
            continue; /* known, or the store could not say: never destroy on doubt */
        struct dp_err err = {0};
        struct hv_vm_status st;
        if (m->hv->ops->status(m->hv, hs[i].name, &st, NULL) != 0)
            continue; /* gone meanwhile: a job destroyed it before deleting its row */
        if (m->hv->ops->destroy(m->hv, hs[i].name, &err) == 0) {
            log_warn("reconcile: destroyed VM %s (%s), which the store does not know", hs[i].name,
                     hs[i].pid ? "running" : "its folder");
            done++;
        } else {
            log_warn("reconcile: orphan VM %s: %s", hs[i].name, dp_err_msg(&err));
        }
    }
    return done;
}

/*
 * A desktop that served and then died (QEMU killed, host OOM, the guest powered off) is no
 * crash loop: retry it at once, as the sizing pass would after the error pause, so its user
 * and the pool's spares do not wait 30 s for nothing. Only a spare that dies within the pause
 * of becoming ready keeps it: a guest that crashes soon after each start cannot spin.
 */
static void replace_now(struct pool_mgr *m, struct db *db, const struct db_vm *vm)
{
    struct db_pool p;
    if (vm->state == VM_READY && m->cfg.error_retry_s > 0 &&
        vm->state_changed + m->cfg.error_retry_s > pm_now(m))
        return;
    if (db_pool_get_by_id(db, vm->pool_id, &p, NULL) != DB_OK || p.paused)
        return;
    struct dp_err err = {0};
    if (sizing_retry_error_vm(m, db, &p, vm, "retry with a fresh disk (it had been running)",
                              &err) != DB_OK)
        log_debug("VM %s: no retry at once: %s", vm->name, dp_err_msg(&err));
}

/* The VM's process is gone while the store says a guest runs (or it answers no more). */
static int died(struct pool_mgr *m, struct db *db, const struct db_vm *vm, const char *what)
{
    struct db_session s;
    char reason[160];
    snprintf(reason, sizeof reason, "%s (found by reconciliation)", what);
    int rc = db_begin(db, NULL);
    if (rc == DB_OK && db_session_on_vm(db, vm->id, &s, NULL) == DB_OK)
        rc = db_session_end(db, s.id, "the VM died", NULL);
    if (rc == DB_OK)
        rc = db_vm_set_state(db, vm->id, vm->state, VM_ERROR, reason, NULL);
    if (rc != DB_OK) {
        db_rollback(db);
        return 0;
    }
    if (db_commit(db, NULL) != DB_OK)
        return 0;
    log_warn("VM %s (pool %s): %s; it will be %s", vm->name, vm->pool_name, what,
             vm->assigned_user_id && vm->state != VM_STARTING ? "restarted or replaced"
                                                              : "replaced");
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm->name, &st, NULL) == 0 && st.pid)
        m->hv->ops->kill(m->hv, vm->name, NULL);
    if (vm->state == VM_STARTING)
        restraint_failed(m, db, vm->pool_id, reason);
    else
        replace_now(m, db, vm);
    return 1;
}

static int one(struct pool_mgr *m, struct db *db, const struct db_vm *vm,
               const struct hv_vm_status *h)
{
    int runs = h && h->pid && h->state != HV_VM_SHUTDOWN;
    switch (vm->state) {
    case VM_PROVISIONING:
        jobs_push(m, JOB_PROVISION, vm->id);
        return 1;
    case VM_STARTING:
        if (runs || !h) {
            /* Running: wait on. Disk gone: the job says so (and marks the error). */
            jobs_push(m, JOB_START, vm->id);
            return 1;
        }
        return died(m, db, vm, "QEMU exited while the VM was starting");
    case VM_READY:
    case VM_ASSIGNED:
    case VM_IN_USE:
    case VM_DISCONNECTED:
        if (!h)
            return died(m, db, vm, "its disk and folder are gone");
        if (!h->pid)
            return died(m, db, vm, "its QEMU process is gone");
        if (h->state == HV_VM_SHUTDOWN)
            return died(m, db, vm, "the guest shut down");
        return 0;
    case VM_STOPPED:
        if (!h) {
            db_vm_set_state(db, vm->id, VM_STOPPED, VM_ERROR,
                            "its disk is gone (found by reconciliation)", NULL);
            return 1;
        }
        if (h->pid) {
            log_warn("reconcile: VM %s runs although the store says stopped; powering it off",
                     vm->name);
            m->hv->ops->kill(m->hv, vm->name, NULL);
            return 1;
        }
        return 0;
    case VM_REFRESHING:
        jobs_push(m, JOB_REFRESH, vm->id);
        return 1;
    case VM_STOPPING:
        jobs_push(m, JOB_STOP, vm->id);
        return 1;
    case VM_DELETING:
        jobs_push(m, JOB_DESTROY, vm->id);
        return 1;
    default:
        return 0;
    }
}

int reconcile(struct pool_mgr *m, struct db *db)
{
    struct dp_err err = {0};
    struct hv_vm_status *hs = NULL;
    size_t nh = 0;
    /* The hypervisor first, then the store: a VM row is created before its disk and deleted
     * after it, so whatever the hypervisor listed and the store then lacks is an orphan. */
    if (m->hv->ops->list(m->hv, &hs, &nh, &err) != 0) {
        log_error("reconcile: cannot list the hypervisor's VMs: %s", dp_err_msg(&err));
        return 0;
    }
    struct db_vm *vms = NULL;
    size_t n = 0;
    if (db_vm_list(db, 0, -1, &vms, &n, &err) != DB_OK) {
        log_error("reconcile: %s", dp_err_msg(&err));
        free(hs);
        return 0;
    }
    int done = orphans(m, db, hs, nh);
    for (size_t i = 0; i < n; i++) {
        if (jobs_busy(m, vms[i].id))
            continue;
        /* A VM the list shows off is asked again: the list is a moment older than the row,
         * and a job may have started it and finished in between. */
        struct hv_vm_status now;
        const struct hv_vm_status *h = find(hs, nh, vms[i].name);
        if (!h || !h->pid || h->state == HV_VM_SHUTDOWN)
            h = m->hv->ops->status(m->hv, vms[i].name, &now, NULL) == 0 ? &now : NULL;
        done += one(m, db, &vms[i], h);
    }
    free(vms);
    free(hs);
    return done;
}
