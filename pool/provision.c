/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Making and powering VMs: the provision, start, stop and destroy jobs. Each step writes the
 * VM's next state to the store (compare-and-set) before the hypervisor action it names, so
 * a broker killed between the two leaves a state that says what may be half done.
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

int pool_current_version(struct db *db, const struct db_pool *p, struct db_template_version *out,
                         struct dp_err *err)
{
    if (p->template_version_id)
        return db_template_version_get_by_id(db, p->template_version_id, out, err);
    int rc = db_template_version_get(db, p->template_name, 0, out, err);
    if (rc == DB_ENOTFOUND) {
        dp_err_clear(err);
        dp_err_set(err, "pool \"%s\": template \"%s\" has no version; run: deskpool template build",
                   p->name, p->template_name);
    }
    return rc;
}

void vm_spec_fill(const struct pool_mgr *m, const struct db_pool *p,
                  const struct db_template_version *tv, const struct db_vm *vm,
                  struct hv_vm_spec *spec)
{
    hv_spec_init(spec);
    snprintf(spec->name, sizeof spec->name, "%s", vm->name);
    spec->vcpus = p->vcpus > 0 ? p->vcpus : tv->vcpus;
    spec->memory_mb = p->memory_mb > 0 ? p->memory_mb : tv->memory_mb;
    snprintf(spec->base, sizeof spec->base, "%s", tv->base_path);
    snprintf(spec->kernel, sizeof spec->kernel, "%s", tv->kernel);
    snprintf(spec->initrd, sizeof spec->initrd, "%s", tv->initrd);
    snprintf(spec->append, sizeof spec->append, "%s", tv->append);
    spec->rdp_port = vm->rdp_port;
    spec->has_rdp = tv->has_rdp;
    spec->accel = (enum hv_accel)m->cfg.accel;
}

void vm_fail(struct pool_mgr *m, struct db *db, const struct db_vm *vm, enum vm_state from,
             const char *reason)
{
    struct dp_err err = {0};
    if (db_vm_set_state(db, vm->id, from, VM_ERROR, reason, &err) != DB_OK) {
        log_info("VM %s: not marked error (%s)", vm->name, dp_err_msg(&err));
        return;
    }
    log_warn("VM %s (pool %s): %s", vm->name, vm->pool_name, reason);
    /* Error first, then power off: a half-booted guest holds memory and a port for nothing,
     * and the retry starts from a fresh disk anyway. */
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm->name, &st, NULL) == 0 && st.pid)
        m->hv->ops->kill(m->hv, vm->name, NULL);
    if (from == VM_PROVISIONING || from == VM_STARTING || from == VM_REFRESHING)
        restraint_failed(m, db, vm->pool_id, reason);
}

/* A port another program took after the VM got it would make QEMU refuse to start, and
 * restraint would pause the pool for nothing: move the stopped VM to a free port instead. */
static int move_port_if_taken(struct pool_mgr *m, struct db *db, struct db_vm *vm,
                              struct dp_err *err)
{
    if (vm->rdp_port <= 0 || ports_bindable(vm->rdp_port))
        return 0;
    int port = ports_take(m, err);
    if (port < 0)
        return -1;
    if (m->hv->ops->set_rdp_port(m->hv, vm->name, port, err) != 0 ||
        db_vm_set_rdp_port(db, vm->id, port, err) != DB_OK) {
        ports_release(m, port);
        return -1;
    }
    log_warn("VM %s: RDP port %d is held by another program; moved to port %d", vm->name,
             vm->rdp_port, port);
    ports_release(m, vm->rdp_port);
    vm->rdp_port = port;
    return 0;
}

void vm_boot(struct pool_mgr *m, struct db *db, struct db_vm *vm)
{
    struct dp_err err = {0};
    char why[1024 + 64];
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm->name, &st, &err) != 0) {
        snprintf(why, sizeof why, "cannot start: %s", dp_err_msg(&err));
        vm_fail(m, db, vm, VM_STARTING, why);
        return;
    }
    /* A QEMU that is there but paused was left by a broker killed in the middle of an
     * instant-clone restore (before `cont`): it would never become ready. Start it again. */
    if (st.pid && st.state == HV_VM_PAUSED) {
        log_warn("VM %s: found paused (an interrupted restore?); starting it again", vm->name);
        m->hv->ops->kill(m->hv, vm->name, NULL);
        st.pid = 0;
    }
    struct db_pool pool;
    int instant = !st.pid && pool_instant_capable(m) &&
                  db_pool_get_by_id(db, vm->pool_id, &pool, NULL) == DB_OK &&
                  pool.clone_mode == DB_CLONE_INSTANT;
    if (!st.pid && move_port_if_taken(m, db, vm, &err) != 0) {
        snprintf(why, sizeof why, "start failed: %s", dp_err_msg(&err));
        vm_fail(m, db, vm, VM_STARTING, why);
        return;
    }
    if (!st.pid && !instant && m->hv->ops->start(m->hv, vm->name, &err) != 0) {
        snprintf(why, sizeof why, "start failed: %s", dp_err_msg(&err));
        vm_fail(m, db, vm, VM_STARTING, why);
        return;
    }
    /* After a restart the wait goes on where it was: the deadline counts from the moment the
     * store says the VM began starting. */
    int64_t waited_ms = (pm_now(m) - vm->state_changed) * 1000;
    int left = m->cfg.ready_timeout_ms - (int)(waited_ms > 0 ? waited_ms : 0);
    if (left < 1000)
        left = 1000;
    struct db_template_version tv;
    int has_rdp = db_template_version_get_by_id(db, vm->template_version_id, &tv, NULL) == DB_OK
                      ? tv.has_rdp
                      : 1;
    dp_err_clear(&err);
    /* An instant clone is restored (or booted) and personalised in one step. */
    int ms = instant ? pool_instant_start(m, vm->name, left, &err)
                     : m->cfg.wait_ready(m->hv, vm->name, left, has_rdp, &err);
    if (ms < 0) {
        snprintf(why, sizeof why, "not ready: %s", dp_err_msg(&err));
        vm_fail(m, db, vm, VM_STARTING, why);
        return;
    }
    char reason[64];
    snprintf(reason, sizeof reason, "guest ready in %d ms", ms);
    dp_err_clear(&err);
    if (db_vm_set_state(db, vm->id, VM_STARTING, VM_READY, reason, &err) != DB_OK) {
        log_info("VM %s: ready, but %s", vm->name, dp_err_msg(&err));
        return;
    }
    vm->state = VM_READY;
    log_info("VM %s (pool %s) ready in %d ms", vm->name, vm->pool_name, ms);
}

/* Brings a VM whose disk was just made to its next state: started (and waited for) when
 * the pool needs it running, else stopped. `from` is provisioning or refreshing. */
void vm_disk_made(struct pool_mgr *m, struct db *db, struct db_vm *vm, enum vm_state from)
{
    struct dp_err err = {0};
    int run = sizing_wants_running(m, db, vm);
    enum vm_state to = run ? VM_STARTING : VM_STOPPED;
    const char *why = run ? "disk ready; booting" : "disk ready; kept powered off (L2 spare)";
    if (db_vm_set_state(db, vm->id, from, to, why, &err) != DB_OK) {
        log_info("VM %s: %s", vm->name, dp_err_msg(&err));
        return;
    }
    vm->state = to;
    vm->state_changed = pm_now(m);
    if (run)
        vm_boot(m, db, vm);
}

void job_provision(struct pool_mgr *m, struct db *db, int64_t vm_id)
{
    struct dp_err err = {0};
    struct db_vm vm;
    struct db_pool p;
    struct db_template_version tv;
    if (db_vm_get_by_id(db, vm_id, &vm, NULL) != DB_OK || vm.state != VM_PROVISIONING)
        return;
    if (db_pool_get_by_id(db, vm.pool_id, &p, &err) != DB_OK ||
        db_template_version_get_by_id(db, vm.template_version_id, &tv, &err) != DB_OK) {
        vm_fail(m, db, &vm, VM_PROVISIONING, dp_err_msg(&err));
        return;
    }
    int instant = p.clone_mode == DB_CLONE_INSTANT && pool_instant_capable(m);
    if (p.clone_mode == DB_CLONE_INSTANT && !instant) {
        struct pool_rt *rt = pm_rt(m, p.id);
        pthread_mutex_lock(&rt->lock);
        if (!rt->instant_logged)
            log_info("pool %s: clone mode instant falls back to boot: the %s driver cannot "
                     "restore saved states",
                     p.name, m->hv->ops->name);
        rt->instant_logged = 1;
        pthread_mutex_unlock(&rt->lock);
    }
    /* A disk already there is one a killed broker finished making (define saves the spec
     * last, and removes a half-made folder on failure): keep it. */
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm.name, &st, NULL) != 0) {
        struct hv_vm_spec spec;
        vm_spec_fill(m, &p, &tv, &vm, &spec);
        if ((instant ? pool_instant_define(m, &p, &tv, &spec, &err)
                     : m->hv->ops->define(m->hv, &spec, &err)) != 0) {
            char why[1100];
            snprintf(why, sizeof why, "cannot create its disk: %s", dp_err_msg(&err));
            vm_fail(m, db, &vm, VM_PROVISIONING, why);
            return;
        }
    }
    vm_disk_made(m, db, &vm, VM_PROVISIONING);
}

void job_start(struct pool_mgr *m, struct db *db, int64_t vm_id)
{
    struct db_vm vm;
    if (db_vm_get_by_id(db, vm_id, &vm, NULL) == DB_OK && vm.state == VM_STARTING)
        vm_boot(m, db, &vm);
}

void job_stop(struct pool_mgr *m, struct db *db, int64_t vm_id)
{
    struct dp_err err = {0};
    struct db_vm vm;
    if (db_vm_get_by_id(db, vm_id, &vm, NULL) != DB_OK || vm.state != VM_STOPPING)
        return;
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm.name, &st, NULL) == 0 && st.pid &&
        m->hv->ops->stop(m->hv, vm.name, m->cfg.stop_timeout_ms, &err) != 0) {
        log_warn("VM %s: graceful stop failed (%s); forcing it off", vm.name, dp_err_msg(&err));
        m->hv->ops->kill(m->hv, vm.name, NULL);
    }
    dp_err_clear(&err);
    if (db_vm_set_state(db, vm.id, VM_STOPPING, VM_STOPPED, "powered off", &err) != DB_OK)
        log_info("VM %s: %s", vm.name, dp_err_msg(&err));
}

void job_destroy(struct pool_mgr *m, struct db *db, int64_t vm_id)
{
    struct dp_err err = {0};
    struct db_vm vm;
    struct db_session s;
    if (db_vm_get_by_id(db, vm_id, &vm, NULL) != DB_OK || vm.state != VM_DELETING)
        return;
    if (db_session_on_vm(db, vm.id, &s, NULL) == DB_OK)
        db_session_end(db, s.id, "VM deleted", NULL);
    struct hv_vm_status st;
    if (m->hv->ops->status(m->hv, vm.name, &st, NULL) == 0 &&
        m->hv->ops->destroy(m->hv, vm.name, &err) != 0) {
        /* Stays deleting: reconciliation tries again. */
        log_warn("VM %s: cannot destroy it (%s); will retry", vm.name, dp_err_msg(&err));
        return;
    }
    if (db_vm_delete(db, vm.id, &err) != DB_OK) {
        log_warn("VM %s: destroyed, but its row stays: %s", vm.name, dp_err_msg(&err));
        return;
    }
    ports_release(m, vm.rdp_port);
    log_info("VM %s (pool %s) deleted", vm.name, vm.pool_name);
    /* The last VM of a pool being deleted takes the pool with it. */
    struct db_pool p;
    struct db_pool_counts c;
    if (db_pool_get_by_id(db, vm.pool_id, &p, NULL) == DB_OK && pool_is_deleting(&p) &&
        db_pool_counts(db, p.id, &c, NULL) == DB_OK && c.total == 0) {
        dp_err_clear(&err);
        if (db_pool_delete(db, p.name, &err) == DB_OK)
            log_info("pool %s deleted", p.name);
        else
            log_warn("pool %s: %s", p.name, dp_err_msg(&err));
    }
}
