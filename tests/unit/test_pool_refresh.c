/* SPDX-License-Identifier: Apache-2.0 */
/* Refresh on logoff, session timeouts, claim expiry, recompose (idle at once, in use on
 * logoff or at the deadline), admin reset/delete and pool deletion. */
#include "test_pool_fixture.h"

/* alice gets a desktop in pool p and connects. */
static struct pool_desktop connect_alice(struct db_pool p, struct db_user alice)
{
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    return d;
}

START_TEST(logoff_in_a_pooled_pool_refreshes_the_vm)
{
    /* max 1: the refreshed VM is the pool's only spare, so it comes back ready. */
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    struct hv_fake_counts before, after;
    hv_fake_counts(px_hv, &before);
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 5, 6, &err),
                     DB_OK);
    px_settle();
    hv_fake_counts(px_hv, &after);
    ck_assert_int_eq(after.reset_disk - before.reset_disk, 1);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1); /* a fresh overlay */
    struct db_vm vm = px_vm(d.vm);
    ck_assert_int_eq(vm.assigned_user_id, 0);
    /* Back in the pool: ready (it fills L1 again) with no credentials left in the guest. */
    ck_assert_int_eq(vm.state, VM_READY);
    char user[64], pw[64];
    ck_assert_int_eq(hv_fake_password(px_hv, d.vm, user, sizeof user, pw, sizeof pw), -1);
    struct db_session s;
    ck_assert_int_eq(db_session_get(px_db, d.session_id, &s, NULL), DB_OK);
    ck_assert_int_eq(s.state, DB_SESSION_ENDED);
    /* The VM went through refreshing, as the audit log shows. */
    ck_assert_int_ge(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.state' AND "
                            "detail LIKE '%\"to\":\"refreshing\"%'"),
                     1);
}
END_TEST

START_TEST(disconnect_timeout_logs_off)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    p.disconnect_timeout_s = 60;
    ck_assert_int_eq(db_pool_update(px_db, &p, NULL), DB_OK);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    struct dp_err err = {0};
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_DISCONNECTED, 0, 0, &err), DB_OK);
    px_advance(59);
    px_settle();
    ck_assert_int_eq(px_vm(d.vm).state, VM_DISCONNECTED); /* kept for the timeout */
    px_advance(2);
    px_settle();
    struct db_session s;
    ck_assert_int_eq(db_session_get(px_db, d.session_id, &s, NULL), DB_OK);
    ck_assert_int_eq(s.state, DB_SESSION_ENDED);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1);
    ck_assert_int_eq(px_vm(d.vm).state, VM_READY);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'session.end' AND "
                            "detail LIKE '%disconnect timeout%'"),
                     1);
}
END_TEST

START_TEST(a_claim_never_used_is_released)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 1, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_cfg.claim_timeout_s = 120;
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    px_advance(100);
    px_settle();
    ck_assert_int_eq(px_vm(d.vm).state, VM_ASSIGNED);
    px_advance(30);
    px_settle();
    /* The guest got a credential, so the VM is refreshed (or removed as surplus), never
     * handed to the next user as it is. */
    ck_assert_int_eq(px_int("SELECT count(*) FROM vms WHERE state = 'assigned'"), 0);
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_events WHERE object = 'vm:%s' AND detail LIKE "
             "'%%\"to\":\"refreshing\"%%'",
             d.vm);
    ck_assert_int_ge(px_int(sql), 1);
}
END_TEST

START_TEST(recompose_rebuilds_idle_vms_at_once_and_in_use_ones_on_logoff)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 6, 3, 1, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    px_settle();
    struct db_template_version v2 = px_version(2);
    struct dp_err err = {0};
    ck_assert_msg(pool_mgr_recompose(px_m, p.id, 2, 0, &err) == DB_OK, "%s", err.msg);
    px_settle();
    struct db_vm *vms;
    size_t n;
    ck_assert_int_eq(db_vm_list(px_db, p.id, -1, &vms, &n, NULL), DB_OK);
    ck_assert_int_eq(n, 5); /* 3 ready + 1 stopped + alice's */
    for (size_t i = 0; i < n; i++) {
        struct hv_vm_spec spec;
        ck_assert_int_eq(hv_fake_spec(px_hv, vms[i].name, &spec), 0);
        int alices = strcmp(vms[i].name, d.vm) == 0;
        ck_assert_int_eq(vms[i].template_version, alices ? 1 : 2);
        ck_assert_str_eq(spec.base, alices ? px_tv.base_path : v2.base_path);
        if (alices)
            ck_assert_int_eq(vms[i].state, VM_IN_USE);
    }
    free(vms);
    ck_assert_int_eq(px_count(p.id, VM_READY), 3);
    ck_assert_int_eq(px_count(p.id, VM_STOPPED), 1);
    /* Her logoff rebuilds hers on version 2. */
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    px_settle();
    struct db_vm vm = px_vm(d.vm);
    ck_assert_int_eq(vm.template_version, 2);
    struct hv_vm_spec spec;
    ck_assert_int_eq(hv_fake_spec(px_hv, d.vm, &spec), 0);
    ck_assert_str_eq(spec.base, v2.base_path);
    ck_assert_int_eq(px_reload(p.id).pinned_version, 2);
}
END_TEST

START_TEST(recompose_deadline_forces_logoff)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    px_version(2);
    struct dp_err err = {0};
    ck_assert_msg(pool_mgr_recompose(px_m, p.id, 0, 300, &err) == DB_OK, "%s", err.msg);
    px_settle();
    ck_assert_int_eq(px_vm(d.vm).state, VM_IN_USE);
    px_advance(301);
    px_settle();
    ck_assert_int_eq(px_vm(d.vm).template_version, 2);
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), 0);
}
END_TEST

START_TEST(reset_and_delete_one_vm)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 2, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    struct dp_err err = {0};
    struct db_vm vm = px_vm(d.vm);
    /* An in-use VM cannot just be stopped under its user. */
    ck_assert_int_eq(pool_mgr_vm_stop(px_m, vm.id, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "deskpool session logoff"), "%s", err.msg);
    ck_assert_int_eq(pool_mgr_vm_reset(px_m, vm.id, &err), DB_OK);
    px_settle();
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1);
    ck_assert_int_eq(px_vm(d.vm).state, VM_READY);
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), 0);
    ck_assert_int_eq(pool_mgr_vm_delete(px_m, vm.id, &err), DB_OK);
    px_settle();
    struct db_vm gone;
    ck_assert_int_eq(db_vm_get_by_id(px_db, vm.id, &gone, NULL), DB_ENOTFOUND);
    /* The spare target is met again, by a new VM (names are reused, rows are not). */
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    ck_assert_int_eq(hv_fake_count(px_hv, NULL), 2);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.delete'"), 1);
}
END_TEST

START_TEST(a_refreshed_vm_beyond_the_targets_is_removed)
{
    /* spare 1 and room to grow: alice's VM is replaced while she works, so after her logoff
     * the refreshed VM is surplus: parked, then removed down to min (a disk costs ~8 ms to
     * make again, a kept one costs a folder and a port). */
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 1, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_alice(p, alice);
    px_settle();
    ck_assert_int_eq(px_count(p.id, -1), 2);
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    px_settle();
    ck_assert_int_eq(px_count(p.id, -1), 1);
    ck_assert_int_eq(px_count(p.id, VM_READY), 1);
    ck_assert_int_eq(hv_fake_count(px_hv, NULL), 1);
}
END_TEST

START_TEST(deleting_a_pool_destroys_its_vms)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 1, 2);
    struct db_pool other = px_pool("other", DB_POOL_POOLED, 0, 2, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    connect_alice(p, alice);
    px_settle();
    ck_assert_int_eq(hv_fake_count(px_hv, NULL), 5);
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_pool_delete(px_m, p.id, 0, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "alice") && strstr(err.msg, "--force"), "%s", err.msg);
    ck_assert_int_eq(px_reload(p.id).paused, 0); /* refused: nothing changed */
    ck_assert_int_eq(pool_mgr_pool_delete(px_m, p.id, 1, &err), DB_OK);
    px_settle();
    struct db_pool gone;
    ck_assert_int_eq(db_pool_get_by_id(px_db, p.id, &gone, NULL), DB_ENOTFOUND);
    ck_assert_int_eq(hv_fake_count(px_hv, NULL), 1); /* only the other pool's VM */
    ck_assert_int_eq(px_count(other.id, VM_READY), 1);
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), 0);
}
END_TEST

PX_SUITE("pool_refresh", logoff_in_a_pooled_pool_refreshes_the_vm, disconnect_timeout_logs_off,
         a_claim_never_used_is_released,
         recompose_rebuilds_idle_vms_at_once_and_in_use_ones_on_logoff,
         recompose_deadline_forces_logoff, reset_and_delete_one_vm,
         a_refreshed_vm_beyond_the_targets_is_removed, deleting_a_pool_destroys_its_vms)
