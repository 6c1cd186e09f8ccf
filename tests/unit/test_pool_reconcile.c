/* SPDX-License-Identifier: Apache-2.0 */
/* Reconciliation: after a broker killed mid-work (the store's states say what was half
 * done, the fake hypervisor what really runs) everything is finished or undone, orphans are
 * destroyed; VMs that die are marked error and replaced (pooled) or restarted with their
 * disk (personal). */
#include "test_pool_fixture.h"

#include "parent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* A VM row in `state` (set directly, as a killed broker would have left it) and, if
 * hv_state >= 0, a fake VM defined (0) or running (1). */
static struct db_vm crashed(struct db_pool p, const char *name, const char *state, int hv_state,
                            int port)
{
    struct dp_err err = {0};
    struct db_vm vm = {0};
    snprintf(vm.name, sizeof vm.name, "%s", name);
    vm.pool_id = p.id;
    vm.template_version_id = px_tv.id;
    vm.rdp_port = port;
    ck_assert_msg(db_vm_create(px_db, &vm, &err) == DB_OK, "%s", err.msg);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE vms SET state = '%s' WHERE id = %lld", state,
             (long long)vm.id);
    px_sql(sql);
    if (hv_state >= 0) {
        struct hv_vm_spec spec;
        hv_spec_init(&spec);
        snprintf(spec.name, sizeof spec.name, "%s", name);
        snprintf(spec.base, sizeof spec.base, "%s", px_tv.base_path);
        spec.rdp_port = port;
        ck_assert_int_eq(px_hv->ops->define(px_hv, &spec, &err), 0);
        if (hv_state == 1)
            ck_assert_int_eq(px_hv->ops->start(px_hv, name, &err), 0);
    }
    return vm;
}

static int fake_runs(const char *name)
{
    struct hv_vm_status st;
    return px_hv->ops->status(px_hv, name, &st, NULL) == 0 && st.pid > 0;
}

START_TEST(a_killed_broker_is_finished_or_undone_at_start)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 8, 5, 1, 2);
    crashed(p, "lab-001", "provisioning", -1, 47001); /* row, no disk yet: redo */
    crashed(p, "lab-002", "starting", 1, 47002);      /* QEMU runs: keep waiting */
    crashed(p, "lab-003", "starting", 0, 47003);      /* QEMU died while booting */
    crashed(p, "lab-004", "stopped", 1, 47004);       /* runs although it should not */
    crashed(p, "lab-005", "refreshing", 0, 47005);    /* refresh half done */
    crashed(p, "lab-006", "deleting", 1, 47006);      /* deletion half done */
    crashed(p, "lab-007", "provisioning", 0, 47007);  /* disk made, state not yet moved */
    struct dp_err err = {0};
    struct hv_vm_spec spec;
    hv_spec_init(&spec);
    snprintf(spec.name, sizeof spec.name, "lab-099"); /* an orphan: no row */
    ck_assert_int_eq(px_hv->ops->define(px_hv, &spec, &err), 0);
    ck_assert_int_eq(px_hv->ops->start(px_hv, "lab-099", &err), 0);
    snprintf(spec.name, sizeof spec.name, "parent-tiny-1"); /* not ours: an instant-clone parent */
    ck_assert_int_eq(px_hv->ops->define(px_hv, &spec, &err), 0);
    int gen5 = hv_fake_disk_gen(px_hv, "lab-005");

    px_start();
    px_settle();

    ck_assert_int_eq(hv_fake_disk_gen(px_hv, "lab-099"), 0);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, "parent-tiny-1"), 1);
    ck_assert_int_eq(px_vm("lab-002").state, VM_READY);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, "lab-002"), 1); /* adopted, not re-made */
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, "lab-007"), 1);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, "lab-005"), gen5 + 1);
    struct db_vm gone;
    ck_assert_int_eq(db_vm_get(px_db, "lab-006", &gone, NULL), DB_ENOTFOUND);
    ck_assert_int_eq(
        px_int("SELECT count(*) FROM audit_events WHERE object = 'vm:lab-003' AND detail LIKE "
               "'%QEMU exited while the VM was starting%'"),
        1);
    /* Nothing is left half done, and store and hypervisor agree VM by VM. */
    ck_assert_int_eq(px_int("SELECT count(*) FROM vms WHERE state NOT IN ('ready', 'stopped')"), 0);
    struct db_vm *vms;
    size_t n;
    ck_assert_int_eq(db_vm_list(px_db, 0, -1, &vms, &n, NULL), DB_OK);
    int fake_total = hv_fake_count(px_hv, NULL);
    ck_assert_int_eq(fake_total, (int)n + 1); /* + the template's parent */
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fake_runs(vms[i].name) == (vms[i].state == VM_READY), "%s is %s", vms[i].name,
                      vm_state_name(vms[i].state));
    free(vms);
    ck_assert_int_eq(px_count(p.id, VM_READY), 5);
    ck_assert_int_eq(px_count(p.id, VM_STOPPED), 1);
    /* Ports stay unique, including for the VMs made after the restart. */
    ck_assert_int_eq(px_int("SELECT count(*) - count(DISTINCT rdp_port) FROM vms"), 0);
}
END_TEST

/* A broker killed while it built an instant-clone parent left the build VM running; the
 * reconciliation destroys it only when no build holds the version's lock any more. */
START_TEST(a_parent_build_vm_is_debris_only_when_no_build_holds_it)
{
    char dir[] = "/tmp/dprc-XXXXXX", path[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct dp_err err = {0};
    struct hv *hv = hv_qemu_open(dir, &err);
    ck_assert_msg(hv != NULL, "%s", err.msg);
    ck_assert_int_eq(hv_parent_build_abandoned(hv, "lab-001"), 0);       /* not a build VM */
    ck_assert_int_eq(hv_parent_build_abandoned(hv, "parent-tiny-2"), 1); /* never locked */
    snprintf(path, sizeof path, "%s/parents", dir);
    ck_assert_int_eq(dp_mkdirs(path, 0750, &err), 0);
    snprintf(path, sizeof path, "%s/parents/.lock-tiny-2", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0); /* a build runs (in this very process) */
    ck_assert_int_eq(hv_parent_build_abandoned(hv, "parent-tiny-2"), 0);
    ck_assert_int_eq(hv_parent_build_abandoned(hv, "parent-tiny-2"), 0); /* the probe let go */
    close(fd);                                                           /* the builder died */
    ck_assert_int_eq(hv_parent_build_abandoned(hv, "parent-tiny-2"), 1);
    hv->ops->close(hv);
    ck_assert_int_eq(dp_remove_tree(dir, &err), 0);
}
END_TEST

/* Killed between db_vm_claim and db_session_start: the VM is assigned to alice but no
 * session says so. At start it is released at once (not after the claim timeout), and
 * alice's next request gets a desktop. */
START_TEST(a_claim_cut_short_by_a_kill_is_released_at_start)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 2, 1, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    struct db_vm vm = crashed(p, "lab-001", "assigned", 1, 47201);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE vms SET assigned_user_id = %lld WHERE id = %lld",
             (long long)alice.id, (long long)vm.id);
    px_sql(sql);
    crashed(p, "lab-002", "in_use", 1, 47202); /* a real session's VM is left alone */
    struct db_user bob = px_user("bob", p.id);
    struct dp_err err = {0};
    struct db_session s;
    snprintf(sql, sizeof sql, "UPDATE vms SET assigned_user_id = %lld WHERE name = 'lab-002'",
             (long long)bob.id);
    px_sql(sql);
    ck_assert_msg(db_session_start(px_db, bob.id, px_vm("lab-002").id, p.id, "", &s, &err) == DB_OK,
                  "%s", err.msg);

    px_start();
    px_settle();

    ck_assert_int_eq(px_vm("lab-001").state, VM_READY);
    ck_assert_int_eq(px_vm("lab-001").assigned_user_id, 0);
    ck_assert_int_eq(
        px_int("SELECT count(*) FROM audit_events WHERE object = 'vm:lab-001' AND detail LIKE "
               "'%claim without a session%'"),
        1);
    ck_assert_int_eq(px_vm("lab-002").state, VM_IN_USE);
    ck_assert_int_eq(px_vm("lab-002").assigned_user_id, bob.id);
    struct pool_desktop d;
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(d.status, POOL_DESKTOP_READY);
    ck_assert_str_eq(d.vm, "lab-001");
}
END_TEST

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(a_vm_that_dies_is_replaced)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    px_settle();
    /* A spare dies, and so does alice's desktop. */
    struct db_vm *ready;
    size_t n;
    ck_assert_int_eq(db_vm_list(px_db, p.id, VM_READY, &ready, &n, NULL), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(hv_fake_die(px_hv, ready[0].name), 0);
    ck_assert_int_eq(hv_fake_die(px_hv, d.vm), 0);
    nap_ms(250); /* a reconciliation period or two */
    px_settle();
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.state' AND "
                            "detail LIKE '%QEMU process is gone%'"),
                     2);
    /* Her session ended with it; the pool is back at its targets with running VMs. */
    struct db_session s;
    ck_assert_int_eq(db_session_get(px_db, d.session_id, &s, NULL), DB_OK);
    ck_assert_int_eq(s.state, DB_SESSION_ENDED);
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    ck_assert_int_eq(px_count(p.id, VM_ERROR), 0);
    ck_assert_int_eq(px_int("SELECT count(*) FROM vms WHERE state NOT IN ('ready', 'stopped')"), 0);
    for (size_t i = 0; i < n; i++) {
        struct db_vm vm;
        if (db_vm_get(px_db, ready[i].name, &vm, NULL) == DB_OK && vm.state == VM_READY)
            ck_assert(fake_runs(vm.name));
    }
    free(ready);
    /* She asks again and gets a working desktop. */
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert(fake_runs(d.vm));
}
END_TEST

START_TEST(a_personal_vm_that_dies_is_restarted_with_its_disk)
{
    struct db_pool p = px_pool("desk", DB_POOL_PERSONAL, 0, 4, 1, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    ck_assert_int_eq(hv_fake_die(px_hv, d.vm), 0);
    nap_ms(250);
    px_settle();
    struct db_vm vm = px_vm(d.vm);
    ck_assert_int_eq(vm.assigned_user_id, alice.id);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen); /* her data was not thrown away */
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(d.vm, vm.name);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen);
}
END_TEST

/* With the real 30 s error pause: a desktop that served is replaced at once when it dies (its
 * user logs in again within seconds, not half a minute); a spare that dies right after it
 * became ready waits out the pause, so a guest that crashes after every start cannot spin. */
START_TEST(a_vm_that_served_is_replaced_without_the_error_pause)
{
    px_cfg.error_retry_s = 30;
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    px_settle();
    struct db_vm *ready;
    size_t n;
    ck_assert_int_eq(db_vm_list(px_db, p.id, VM_READY, &ready, &n, NULL), DB_OK);
    ck_assert_uint_ge(n, 1);
    char spare[64];
    snprintf(spare, sizeof spare, "%s", ready[0].name);
    free(ready);
    ck_assert_int_eq(hv_fake_die(px_hv, d.vm), 0);
    ck_assert_int_eq(hv_fake_die(px_hv, spare), 0);
    nap_ms(250);
    px_settle();
    /* No test-clock time has passed: alice's VM is back at once; the spare was not retried
     * (it waits out the pause in error, or went as surplus now that the pool has its spares). */
    struct db_vm vm = px_vm(d.vm);
    ck_assert_msg(vm.state == VM_READY && fake_runs(d.vm), "%s is %s", d.vm,
                  vm_state_name(vm.state));
    struct db_vm sp;
    ck_assert(db_vm_get(px_db, spare, &sp, NULL) == DB_ENOTFOUND || sp.state == VM_ERROR);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.state' AND "
                            "detail LIKE '%it had been running%'"),
                     1);
}
END_TEST

START_TEST(a_restart_leaves_running_desktops_alone)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    px_settle();
    struct hv_fake_counts before, after;
    hv_fake_counts(px_hv, &before);
    pool_mgr_stop(px_m); /* a broker restart: VMs keep running */
    px_start();
    px_settle();
    hv_fake_counts(px_hv, &after);
    ck_assert_int_eq(after.start, before.start);
    ck_assert_int_eq(after.kill + after.stop + after.destroy,
                     before.kill + before.stop + before.destroy);
    ck_assert_int_eq(px_vm(d.vm).state, VM_IN_USE);
    struct pool_desktop again;
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm);
}
END_TEST

/* The QEMU driver's side of "a broker killed at any point": a VM folder that a define cut
 * short left without spec.json (spec.json is written last) must not refuse the VM for good
 * (it did: "already exists", the refresh failed again and again, and once the row went the
 * overlay stayed on disk, unknown to everyone); a folder that a destroy cut short left still
 * has spec.json (removed last), so the VM is found and destroyed again. No QEMU runs. */
START_TEST(a_vm_folder_left_half_made_or_half_removed_does_not_stick)
{
    char dir[] = "/tmp/dprc-XXXXXX", cmd[256], path[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "qemu-img create -q -f qcow2 %s/base.qcow2 1M", dir);
    ck_assert_int_eq(system(cmd), 0);
    struct dp_err err = {0};
    struct hv *hv = hv_qemu_open(dir, &err);
    ck_assert_msg(hv != NULL, "%s", err.msg);
    struct hv_vm_spec spec;
    hv_spec_init(&spec);
    snprintf(spec.base, sizeof spec.base, "%s/base.qcow2", dir);
    spec.rdp_port = 47100;

    /* Half made: the folder and an overlay, no spec.json. */
    snprintf(path, sizeof path, "%s/vms/lab-001", dir);
    ck_assert_int_eq(dp_mkdirs(path, 0750, &err), 0);
    snprintf(path, sizeof path, "%s/vms/lab-001/disk.qcow2", dir);
    ck_assert_int_eq(dp_write_file_atomic(path, "x", 1, 0640, &err), 0);
    struct hv_vm_status st;
    ck_assert_int_ne(hv->ops->status(hv, "lab-001", &st, NULL), 0);
    snprintf(spec.name, sizeof spec.name, "lab-001");
    ck_assert_msg(hv->ops->define(hv, &spec, &err) == 0, "define over a half-made folder: %s",
                  err.msg);
    ck_assert_int_eq(hv->ops->status(hv, "lab-001", &st, &err), 0);
    ck_assert_int_eq(st.state, HV_VM_DEFINED);

    /* Half removed: the overlay gone, spec.json still there. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(hv->ops->status(hv, "lab-001", &st, NULL), 0);
    ck_assert_msg(hv->ops->destroy(hv, "lab-001", &err) == 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/vms/lab-001", dir);
    ck_assert(!dp_path_exists(path));

    /* A whole VM is still refused, and its disk kept. */
    ck_assert_int_eq(hv->ops->define(hv, &spec, &err), 0);
    ck_assert_int_ne(hv->ops->define(hv, &spec, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
    snprintf(path, sizeof path, "%s/vms/lab-001/disk.qcow2", dir);
    ck_assert(dp_path_exists(path));
    hv->ops->close(hv);
    ck_assert_int_eq(dp_remove_tree(dir, &err), 0);
}
END_TEST

PX_SUITE("pool_reconcile", a_killed_broker_is_finished_or_undone_at_start,
         a_vm_that_dies_is_replaced, a_personal_vm_that_dies_is_restarted_with_its_disk,
         a_vm_that_served_is_replaced_without_the_error_pause,
         a_restart_leaves_running_desktops_alone,
         a_vm_folder_left_half_made_or_half_removed_does_not_stick,
         a_claim_cut_short_by_a_kill_is_released_at_start,
         a_parent_build_vm_is_debris_only_when_no_build_holds_it)
