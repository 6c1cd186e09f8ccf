/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logoff and refresh: when a session ends, a pooled VM's disk is discarded and re-cloned
 * from the pool's current template version (recompose changes which one), so the next user
 * gets a clean desktop; a VM that keeps its disk (personal, or no refresh-on-logoff) waits
 * again, its user's guest session ended by a guest job (guest_sessions.c).
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

/* 1 if a VM of pool p on version tv_id is rebuilt rather than kept when its user leaves. */
static int refresh_on_leave(struct db *db, const struct db_pool *p, const struct db_vm *vm)
{
    if (p->type == DB_POOL_PERSONAL)
        return 0; /* the owner's data lives on that disk */
    if (p->refresh_on_logoff)
        return 1;
    struct db_template_version cur;
    return pool_current_version(db, p, &cur, NULL) == DB_OK &&
           cur.id != vm->template_version_id; /* recompose: stale VMs go on logoff */
}

/* guest_gone: the guest reported the user logged off already, so nothing is left to end there. */
static int logoff(struct pool_mgr *m, struct db *db, const struct db_session *s, const char *reason,
                  int guest_gone, struct dp_err *err)
{
    struct db_vm vm;
    struct db_pool p;
    int have_vm = s->vm_id && db_vm_get_by_id(db, s->vm_id, &vm, NULL) == DB_OK;
    if (have_vm && db_pool_get_by_id(db, vm.pool_id, &p, err) != DB_OK)
        return DB_EIO;
    int refresh = have_vm && refresh_on_leave(db, &p, &vm);
    /* A disk that is kept keeps the user's guest session too, unless it is ended there. */
    int end_in_guest = have_vm && !refresh && !guest_gone && vm_state_holds_user(vm.state);
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_session_end(db, s->id, reason, err);
    enum vm_state to = VM_READY;
    if (rc == DB_OK && have_vm) {
        switch (vm.state) {
        case VM_ASSIGNED:
            /* No gateway reported a connection, but the guest got a credential and the user
             * may have logged on directly (the admin path has no gateway): a VM that would be
             * refreshed after use is refreshed now too, never handed on as it is. */
            rc = db_vm_set_state(db, vm.id, VM_ASSIGNED, VM_READY, reason, err);
            if (rc == DB_OK && refresh) {
                to = VM_REFRESHING;
                rc = db_vm_set_state(db, vm.id, VM_READY, VM_REFRESHING, reason, err);
            }
            break;
        case VM_IN_USE:
            if (refresh) {
                to = VM_REFRESHING;
                rc = db_vm_set_state(db, vm.id, VM_IN_USE, VM_REFRESHING, reason, err);
                break;
            }
            rc = db_vm_set_state(db, vm.id, VM_IN_USE, VM_DISCONNECTED, reason, err);
            if (rc != DB_OK)
                break;
            __attribute__((fallthrough)); /* and on as a disconnected VM */
        case VM_DISCONNECTED:
            to = refresh ? VM_REFRESHING : VM_READY;
            rc = db_vm_set_state(db, vm.id, VM_DISCONNECTED, to, reason, err);
            break;
        default:
            /* error, deleting ...: the VM has its own way; only the session ends. */
            to = vm.state;
            break;
        }
    }
    if (rc != DB_OK) {
        db_rollback(db);
        return rc;
    }
    if ((rc = db_commit(db, err)) != DB_OK)
        return rc;
    log_info("session %lld of %s on %s ended (%s)%s", (long long)s->id, s->user,
             s->vm[0] ? s->vm : "(no VM)", reason, to == VM_REFRESHING ? "; refreshing" : "");
    if (have_vm && to == VM_REFRESHING) {
        jobs_push(m, JOB_REFRESH, vm.id);
        return DB_OK;
    }
    /* Queued before the kick, so a request that claims this VM finds it (jobs_run_now). */
    if (end_in_guest && to == VM_READY)
        jobs_push_guest(m, JOB_GUEST_LOGOFF, vm.id, s->id, guest_account(m, s));
    if (have_vm)
        pool_mgr_kick(m); /* a ready VM is back: the spare count changed */
    return DB_OK;
}

int pool_logoff(struct pool_mgr *m, struct db *db, const struct db_session *s, const char *reason,
                struct dp_err *err)
{
    return logoff(m, db, s, reason, 0, err);
}

int pool_logoff_guest_gone(struct pool_mgr *m, struct db *db, const struct db_session *s,
                           const char *reason, struct dp_err *err)
{
    return logoff(m, db, s, reason, 1, err);
}

/* Gives VM vm a fresh disk on version tv: reset in place when its disk is already on that
 * base, else a new definition (recompose). The VM is powered off first. */
static int new_disk(struct pool_mgr *m, struct db *db, const struct db_pool *p,
                    const struct db_template_version *tv, struct db_vm *vm, struct dp_err *err)
{
    struct hv *hv = m->hv;
    struct hv_vm_status st;
    int exists = hv->ops->status(hv, vm->name, &st, NULL) == 0;
    if (exists && st.pid && hv->ops->kill(hv, vm->name, err) != 0)
        return -1;
    if (vm->template_version_id != tv->id) {
        if (db_vm_set_template_version(db, vm->id, tv->id, err) != DB_OK)
            return -1;
        vm->template_version_id = tv->id;
    }
    /* Compare with the disk's real base, not the row: a broker killed between the row's
     * change and the re-definition must not reset onto the old base. */
    struct hv_vm_spec spec;
    /* Instant clones are made again from the parent (a reset disk could only boot cold). */
    int instant = p->clone_mode == DB_CLONE_INSTANT && pool_instant_capable(m);
    if (!instant && exists && hv->ops->attach(hv, vm->name, &spec, NULL) == 0 &&
        strcmp(spec.base, tv->base_path) == 0)
        return hv->ops->reset_disk(hv, vm->name, err);
    if (exists && hv->ops->destroy(hv, vm->name, err) != 0)
        return -1;
    vm_spec_fill(m, p, tv, vm, &spec);
    if (p->clone_mode == DB_CLONE_INSTANT && pool_instant_capable(m))
        return pool_instant_define(m, p, tv, &spec, err);
    return hv->ops->define(hv, &spec, err);
}

void job_refresh(struct pool_mgr *m, struct db *db, int64_t vm_id)
{
    struct dp_err err = {0};
    struct db_vm vm;
    struct db_pool p;
    struct db_template_version tv;
    if (db_vm_get_by_id(db, vm_id, &vm, NULL) != DB_OK || vm.state != VM_REFRESHING)
        return;
    if (db_pool_get_by_id(db, vm.pool_id, &p, &err) != DB_OK ||
        pool_current_version(db, &p, &tv, &err) != DB_OK ||
        new_disk(m, db, &p, &tv, &vm, &err) != 0) {
        char why[1100];
        snprintf(why, sizeof why, "refresh failed: %s", dp_err_msg(&err));
        vm_fail(m, db, &vm, VM_REFRESHING, why);
        return;
    }
    log_info("VM %s (pool %s): fresh disk on %s version %d", vm.name, vm.pool_name,
             tv.template_name, tv.version);
    vm_disk_made(m, db, &vm, VM_REFRESHING);
}
