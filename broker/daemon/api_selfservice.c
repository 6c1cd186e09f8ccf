/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /desktops/ID/reset and /restart: a user re-provisions or reboots their own desktop
 * (an admin any). Reset is the pool manager's (logoff, fresh overlay from the pool's current
 * template version); restart logs the user off, powers the VM off and on again, keeping
 * its disk, on a worker because it waits for each step.
 */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "pool_mgr.h"
#include "selfservice.h"
#include "store/db.h"
#include "store/db_audit.h"
#include "store/db_pools.h"
#include "store/db_sessions.h"
#include "store/db_vms.h"
#include "workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void audit(struct api_req *r, const char *action, const struct db_vm *vm,
                  const struct db_pool *p)
{
    char obj[96];
    snprintf(obj, sizeof obj, "vm:%s", vm->name);
    const char *kv[] = {"pool", p->name, "via", "self-service"};
    api_audit(r, action, obj, kv, 2);
}

/*
 * 1 if the VM is on its way back from a fresh disk: refreshing or provisioning, or starting
 * right after that (an instant clone is "starting" within a tenth of a second of a reset,
 * and a second click on Reset must not be refused then, nor reset it twice).
 */
static int fresh_disk_coming(struct db *db, const struct db_vm *vm)
{
    if (vm->state == VM_REFRESHING || vm->state == VM_PROVISIONING)
        return 1;
    if (vm->state != VM_STARTING)
        return 0;
    char obj[96];
    snprintf(obj, sizeof obj, "vm:%s", vm->name);
    struct db_audit_event *ev = NULL;
    size_t n = 0;
    int fresh = 0;
    if (db_audit_list(db, 0, 20, obj, &ev, &n, NULL) != DB_OK)
        return 0;
    /* The newest state change is the one into "starting": from where? */
    for (size_t i = n; i-- > 0;) {
        if (strcmp(ev[i].action, "vm.state") != 0)
            continue;
        json_t *d = json_loads(ev[i].detail, 0, NULL);
        const char *from = json_string_value(json_object_get(d, "from"));
        fresh = from && (strcmp(from, "refreshing") == 0 || strcmp(from, "provisioning") == 0);
        json_decref(d);
        break;
    }
    free(ev);
    return fresh;
}

void api_desktop_reset(struct api_req *r)
{
    int confirm = 0;
    struct api_field f[] = {API_BOOL("confirm", 0, &confirm)};
    if (api_body_fields(r, f, 1) != 0)
        return;
    struct db_vm vm;
    struct db_pool p;
    if (ss_desktop_for_caller(r, &vm, &p) != 0)
        return;
    int coming = fresh_disk_coming(r->d->db, &vm);
    /* A personal desktop's disk holds its owner's files: they go, so ask first. */
    if (p.type == DB_POOL_PERSONAL && !confirm && !coming) {
        api_reply_error(r, 409,
                        "resetting personal desktop %s erases its files (the disk is re-cloned "
                        "from the template); send {\"confirm\": true} to go ahead",
                        vm.name);
        return;
    }
    struct dp_err err = {0};
    if (!coming && (vm.state == VM_STARTING || vm.state == VM_STOPPING)) {
        api_reply_error(r, 409, "desktop %s is %s; reset it when that is over (in a minute or so)",
                        vm.name, vm.state == VM_STARTING ? "starting" : "shutting down");
        return;
    }
    int rc = coming ? DB_OK : pool_mgr_vm_reset(r->d->pm, vm.id, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    audit(r, coming ? "desktop.reset_repeated" : "desktop.reset_requested", &vm, &p);
    api_reply_json(
        r, 202,
        json_pack("{s:I,s:s,s:s}", "id", (json_int_t)vm.id, "vm", vm.name, "state", "refreshing"));
}

/* A restart in the background: the HTTP answer (202) has gone already. */
struct restart_job {
    struct work job;
    struct pool_mgr *pm;
    int64_t vm_id;
    char vm[64];
    int stop_timeout_s;
};

/* Waits until the VM is in one of the states in `want` (a bit mask of 1 << state); returns
 * the state, or -1 after timeout_s or if the VM is gone. */
static int wait_state(struct db *db, int64_t vm_id, unsigned want, int timeout_s)
{
    time_t deadline = time(NULL) + timeout_s;
    struct db_vm vm;
    while (db_vm_get_by_id(db, vm_id, &vm, NULL) == DB_OK) {
        if (want & (1u << vm.state))
            return (int)vm.state;
        if (time(NULL) >= deadline)
            return -1;
        usleep(200 * 1000);
    }
    return -1;
}

static void restart_run(struct work *j, struct db *db)
{
    struct restart_job *rj = (struct restart_job *)j;
    struct dp_err err = {0};
    struct db_session s;
    if (db_session_on_vm(db, rj->vm_id, &s, NULL) == DB_OK &&
        pool_mgr_session_event(rj->pm, s.id, POOL_SESSION_LOGOFF, s.bytes_in, s.bytes_out, &err) !=
            DB_OK) {
        log_warn("restart of %s: logoff of session %lld failed: %s", rj->vm, (long long)s.id,
                 dp_err_msg(&err));
        return;
    }
    unsigned settled = 1u << VM_READY | 1u << VM_STOPPED | 1u << VM_ERROR | 1u << VM_REFRESHING |
                       1u << VM_PROVISIONING;
    int st = wait_state(db, rj->vm_id, settled, 60);
    if (st == VM_REFRESHING || st == VM_PROVISIONING) {
        log_info("restart of %s: the logoff re-clones it (pool refreshes on logoff)", rj->vm);
        return;
    }
    if (st == VM_READY) {
        if (pool_mgr_vm_stop(rj->pm, rj->vm_id, &err) != DB_OK) {
            log_warn("restart of %s: stop refused: %s", rj->vm, dp_err_msg(&err));
            return;
        }
        st = wait_state(db, rj->vm_id, 1u << VM_STOPPED | 1u << VM_ERROR, rj->stop_timeout_s + 30);
    }
    if (st != VM_STOPPED && st != VM_ERROR) {
        log_warn("restart of %s: it did not stop in time; see deskpool vm show %s", rj->vm, rj->vm);
        return;
    }
    if (pool_mgr_vm_start(rj->pm, rj->vm_id, &err) != DB_OK)
        log_warn("restart of %s: start refused: %s", rj->vm, dp_err_msg(&err));
    else
        log_info("restart of %s: powered off, starting again", rj->vm);
}

static void restart_done(struct work *j)
{
    free(j);
}

void api_desktop_restart(struct api_req *r)
{
    if (api_body_fields(r, NULL, 0) != 0)
        return;
    struct db_vm vm;
    struct db_pool p;
    if (ss_desktop_for_caller(r, &vm, &p) != 0)
        return;
    switch (vm.state) {
    case VM_READY:
    case VM_ASSIGNED:
    case VM_IN_USE:
    case VM_DISCONNECTED:
    case VM_STOPPED:
    case VM_ERROR:
        break;
    case VM_STARTING:
    case VM_STOPPING:
    case VM_REFRESHING:
    case VM_PROVISIONING:
        /* Already on its way down or up: a second restart adds nothing. */
        api_reply_json(r, 202,
                       json_pack("{s:I,s:s,s:s}", "id", (json_int_t)vm.id, "vm", vm.name, "state",
                                 vm_state_name(vm.state)));
        return;
    default:
        api_reply_error(r, 409, "desktop %s is %s and cannot be restarted", vm.name,
                        vm_state_name(vm.state));
        return;
    }
    struct restart_job *rj = calloc(1, sizeof *rj);
    if (!rj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    rj->job.run = restart_run;
    rj->job.done = restart_done;
    rj->pm = r->d->pm;
    rj->vm_id = vm.id;
    snprintf(rj->vm, sizeof rj->vm, "%s", vm.name);
    rj->stop_timeout_s = r->d->cfg.pool_stop_timeout_ms / 1000;
    audit(r, "desktop.restart_requested", &vm, &p);
    workers_submit(r->d->workers, &rj->job);
    api_reply_json(
        r, 202,
        json_pack("{s:I,s:s,s:s}", "id", (json_int_t)vm.id, "vm", vm.name, "state", "restarting"));
}
