/* SPDX-License-Identifier: Apache-2.0 */
/* Restraint: N provisioning failures in M seconds pause a pool (shown in the pool's row
 * and the audit log) instead of looping; resume clears it; failures outside the window do
 * not count. */
#include "test_pool_fixture.h"

#include "pool_internal.h" /* restraint_is_disk_full, restraint_room_needed */

START_TEST(failures_pause_the_pool_and_resume_clears)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 1);
    hv_fake_fail_starts(px_hv, 1000); /* a template that never boots */
    px_start();
    px_settle();
    p = px_reload(p.id);
    ck_assert_int_eq(p.paused, 1);
    ck_assert_msg(strstr(p.paused_reason, "3 provisioning failures in 600 s") &&
                      strstr(p.paused_reason, "fail_starts") &&
                      strstr(p.paused_reason, "deskpool pool resume lab"),
                  "%s", p.paused_reason);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'pool.restraint' "
                            "AND object = 'pool:lab'"),
                     1);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'pool.pause'"), 1);
    /* Paused means paused: no more attempts. */
    struct hv_fake_counts c1, c2;
    hv_fake_counts(px_hv, &c1);
    ck_assert_int_eq(c1.start, 3);
    px_settle();
    hv_fake_counts(px_hv, &c2);
    ck_assert_int_eq(c2.start, c1.start);
    ck_assert_int_eq(px_count(p.id, VM_READY), 0);

    /* The admin fixes the template and resumes: the pool fills. */
    hv_fake_fail_starts(px_hv, 0);
    struct dp_err err = {0};
    ck_assert_msg(pool_mgr_pool_resume(px_m, p.id, &err) == DB_OK, "%s", err.msg);
    px_settle();
    p = px_reload(p.id);
    ck_assert_int_eq(p.paused, 0);
    ck_assert_str_eq(p.paused_reason, "");
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    ck_assert_int_eq(px_count(p.id, VM_ERROR), 0);
}
END_TEST

START_TEST(failures_outside_the_window_do_not_count)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 1);
    hv_fake_fail_starts(px_hv, 2);
    px_start();
    px_settle();
    ck_assert_int_eq(px_reload(p.id).paused, 0);
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    px_advance(601);
    /* Two more failures, but the first two are out of the window now. */
    hv_fake_fail_ready(px_hv, 2);
    struct db_vm *vms;
    size_t n;
    ck_assert_int_eq(db_vm_list(px_db, p.id, VM_READY, &vms, &n, NULL), DB_OK);
    struct dp_err err = {0};
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(pool_mgr_vm_reset(px_m, vms[i].id, &err), DB_OK);
    free(vms);
    px_settle();
    ck_assert_int_eq(px_reload(p.id).paused, 0);
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.state' AND "
                            "detail LIKE '%\"to\":\"error\"%'"),
                     4);
}
END_TEST

START_TEST(a_resume_done_elsewhere_clears_the_history)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 1, 0, 1);
    hv_fake_fail_defines(px_hv, 3); /* e.g. the base disk is missing */
    px_start();
    px_settle();
    ck_assert_int_eq(px_reload(p.id).paused, 1);
    /* Resumed through the store (the API's pool update), not pool_mgr_pool_resume. */
    ck_assert_int_eq(db_pool_set_paused(px_db, p.id, 0, NULL, NULL), DB_OK);
    hv_fake_fail_defines(px_hv, 1); /* one more failure must not pause it again */
    pool_mgr_kick(px_m);
    px_settle();
    ck_assert_int_eq(px_reload(p.id).paused, 0);
    ck_assert_int_eq(px_count(p.id, VM_READY), 1);
}
END_TEST

START_TEST(a_full_disk_is_told_apart_from_a_broken_template)
{
    ck_assert(restraint_is_disk_full(
        "cannot create its disk: cannot create overlay /s/vms/x/disk.qcow2 on /b (qemu-img: "
        "/s/vms/x/disk.qcow2: Could not write qcow2 header: No space left on device)"));
    ck_assert(restraint_is_disk_full("write failed: Disk quota exceeded"));
    ck_assert(!restraint_is_disk_full("not ready: guest agent did not answer"));
    ck_assert(!restraint_is_disk_full(NULL));
    /* The room a disk-full pause waits for: a twentieth of a small file system, 64 MiB of
     * a big one. */
    ck_assert_uint_eq(restraint_room_needed(24ull << 20), (24ull << 20) / 20);
    ck_assert_uint_eq(restraint_room_needed(1ull << 40), 64ull << 20);
}
END_TEST

START_TEST(a_disk_full_pause_lifts_itself_when_there_is_room)
{
    /* The fixture's state folder has room: a disk-full pause left by an earlier moment (or
     * an earlier broker) is lifted at the next tick, audited, and the pool fills. */
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 1);
    struct db_pool q = px_pool("other", DB_POOL_POOLED, 0, 4, 1, 0, 1);
    ck_assert_int_eq(db_pool_set_paused(px_db, p.id, 1,
                                        "disk full: no space left on device in /x/vms (0 KiB "
                                        "free); free space there: the pool resumes by itself",
                                        NULL),
                     DB_OK);
    ck_assert_int_eq(db_pool_set_paused(px_db, q.id, 1, "paused by the admin", NULL), DB_OK);
    px_start();
    px_settle();
    p = px_reload(p.id);
    ck_assert_int_eq(p.paused, 0);
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = "
                            "'pool.restraint_lifted' AND object = 'pool:lab'"),
                     1);
    /* Any other pause is the admin's to lift. */
    ck_assert_int_eq(px_reload(q.id).paused, 1);
    ck_assert_int_eq(px_count(q.id, VM_READY), 0);
}
END_TEST

PX_SUITE("pool_restraint", failures_pause_the_pool_and_resume_clears,
         failures_outside_the_window_do_not_count, a_resume_done_elsewhere_clears_the_history,
         a_full_disk_is_told_apart_from_a_broken_template,
         a_disk_full_pause_lifts_itself_when_there_is_room)
