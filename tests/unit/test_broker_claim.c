/* SPDX-License-Identifier: Apache-2.0 */
/* The assignment path's queries: atomic claims (two connections racing for one VM),
 * personal ownership, entitlements direct and through groups, live sessions, spare counts,
 * VM names and session timeouts. */
#include "test_broker_fixture.h"

#include "log.h"

#include <pthread.h>

struct racer {
    pthread_barrier_t *go;
    int64_t pool_id, user_id;
    int rc;
    struct db_vm vm;
    char msg[1024];
};

/* One claimer on its own connection, as two deskpoold workers or processes would be. */
static void *race(void *arg)
{
    struct racer *r = arg;
    struct dp_err err = {0};
    struct db *db;
    r->rc = db_open(fx_path, &db, &err);
    pthread_barrier_wait(r->go);
    if (r->rc == DB_OK) {
        r->rc = db_vm_claim(db, r->pool_id, r->user_id, &r->vm, &err);
        db_close(db);
    }
    snprintf(r->msg, sizeof r->msg, "%s", err.msg);
    return NULL;
}

START_TEST(two_connections_claim_one_ready_vm_only_one_wins)
{
    struct dp_err err = {0};
    for (int round = 0; round < 20; round++) {
        char name[32];
        snprintf(name, sizeof name, "lab-%03d", round + 1);
        struct db_vm vm = fx_vm(name, &fx_lab, VM_READY);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct racer a = {.go = &go, .pool_id = fx_lab.id, .user_id = fx_alice.id};
        struct racer b = {.go = &go, .pool_id = fx_lab.id, .user_id = fx_bob.id};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, race, &a);
        pthread_create(&tb, NULL, race, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&go);
        ck_assert_msg((a.rc == DB_OK) != (b.rc == DB_OK), "round %d: %d (%s) / %d (%s)", round,
                      a.rc, a.msg, b.rc, b.msg);
        struct racer *won = a.rc == DB_OK ? &a : &b, *lost = a.rc == DB_OK ? &b : &a;
        ck_assert_int_eq(lost->rc, DB_ENOTFOUND);
        ck_assert_msg(strstr(lost->msg, "has no ready desktop"), "%s", lost->msg);
        ck_assert_int_eq(won->vm.id, vm.id);
        struct db_vm got;
        ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
        ck_assert_int_eq(got.state, VM_ASSIGNED);
        ck_assert_int_eq(got.assigned_user_id, won->user_id);
        /* Exactly one claim in the audit log for this VM. */
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM audit_events WHERE object = 'vm:%s' AND detail LIKE "
                 "'%%\"to\":\"assigned\"%%'",
                 name);
        ck_assert_int_eq(fx_int(fx_db, sql), 1);
        /* Take it out of the way for the next round. */
        ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_ASSIGNED, VM_DELETING, NULL, &err),
                         DB_OK);
    }
}
END_TEST

START_TEST(many_claimers_never_share_a_vm)
{
    enum { VMS = 3, CLAIMERS = 6 };
    for (int i = 0; i < VMS; i++) {
        char name[32];
        snprintf(name, sizeof name, "lab-%03d", i + 1);
        fx_vm(name, &fx_lab, VM_READY);
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, CLAIMERS);
    struct racer r[CLAIMERS];
    pthread_t t[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++) {
        r[i] = (struct racer){
            .go = &go, .pool_id = fx_lab.id, .user_id = i % 2 ? fx_bob.id : fx_alice.id};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    int won = 0;
    int64_t seen[CLAIMERS] = {0};
    for (int i = 0; i < CLAIMERS; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc == DB_OK) {
            for (int j = 0; j < won; j++)
                ck_assert_int_ne(seen[j], r[i].vm.id);
            seen[won++] = r[i].vm.id;
        } else {
            ck_assert_msg(r[i].rc == DB_ENOTFOUND, "%d: %s", r[i].rc, r[i].msg);
        }
    }
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(won, VMS);
}
END_TEST

START_TEST(personal_vm_belongs_to_its_first_user)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("desk-001", &fx_desk, VM_READY), got;
    ck_assert_int_eq(db_vm_personal(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, vm.id);
    ck_assert_int_eq(db_vm_personal(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, vm.id);
    /* alice logs off; her VM is ready again, but for her only. */
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_ASSIGNED, VM_READY, "no show", &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_bob.id, &got, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, vm.id);
    /* Her VM powered off: she is told, not given another one. */
    struct db_vm spare = fx_vm("desk-002", &fx_desk, VM_READY);
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_ASSIGNED, VM_READY, NULL, &err), DB_OK);
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_READY, VM_STOPPING, NULL, &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "alice's desktop \"desk-001\" is stopping"), "%s", err.msg);
    /* bob gets the unowned spare, and it becomes his. */
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_bob.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, spare.id);
    ck_assert_int_eq(got.assigned_user_id, fx_bob.id);
}
END_TEST

START_TEST(pooled_claim_takes_the_longest_ready_vm)
{
    struct dp_err err = {0};
    struct db_vm first = fx_vm("lab-001", &fx_lab, VM_READY);
    db_set_now(fx_db, 1700000100);
    fx_vm("lab-002", &fx_lab, VM_READY);
    struct db_vm got;
    ck_assert_int_eq(db_vm_claim(fx_db, fx_lab.id, fx_bob.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, first.id);
}
END_TEST

START_TEST(entitled_pools_direct_and_through_groups)
{
    struct dp_err err = {0};
    struct db_pool *pools;
    size_t n;
    ck_assert_int_eq(db_user_entitled_pools(fx_db, fx_alice.id, &pools, &n, &err), DB_OK);
    ck_assert_int_eq(n, 0);
    free(pools);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_alice.id, fx_lab.id, &err), 0);

    struct db_group staff;
    ck_assert_int_eq(db_group_create(fx_db, "staff", &staff, &err), DB_OK);
    ck_assert_int_eq(db_group_add_member(fx_db, staff.id, fx_alice.id, &err), DB_OK);
    ck_assert_int_eq(db_entitle_group(fx_db, fx_desk.id, staff.id, &err), DB_OK);
    ck_assert_int_eq(db_entitle_user(fx_db, fx_lab.id, fx_alice.id, &err), DB_OK);
    ck_assert_int_eq(db_entitle_user(fx_db, fx_desk.id, fx_alice.id, &err), DB_OK);
    ck_assert_int_eq(db_entitle_user(fx_db, fx_lab.id, fx_alice.id, &err), DB_EEXISTS);
    ck_assert_msg(strstr(err.msg, "already entitled to pool \"lab\""), "%s", err.msg);

    /* desk comes both directly and through staff: listed once. */
    ck_assert_int_eq(db_user_entitled_pools(fx_db, fx_alice.id, &pools, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(pools[0].name, "desk");
    ck_assert_str_eq(pools[1].name, "lab");
    free(pools);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_bob.id, fx_desk.id, &err), 0);
    ck_assert_int_eq(db_group_add_member(fx_db, staff.id, fx_bob.id, &err), DB_OK);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_bob.id, fx_desk.id, &err), 1);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_bob.id, fx_lab.id, &err), 0);
    ck_assert_int_eq(db_group_remove_member(fx_db, staff.id, fx_bob.id, &err), DB_OK);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_bob.id, fx_desk.id, &err), 0);

    struct db_entitlement *ents;
    ck_assert_int_eq(db_entitlement_list(fx_db, fx_desk.id, &ents, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    int64_t group_ent = ents[0].group_id ? ents[0].id : ents[1].id;
    free(ents);
    ck_assert_int_eq(db_entitlement_delete(fx_db, group_ent, &err), DB_OK);
    ck_assert_int_eq(db_entitlement_delete(fx_db, group_ent, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_user_entitled(fx_db, fx_alice.id, fx_desk.id, &err), 1);
}
END_TEST

START_TEST(live_session_reconnect_and_end)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY);
    struct db_session s, live;
    ck_assert_int_eq(db_session_live(fx_db, fx_alice.id, fx_lab.id, &live, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_session_start(fx_db, fx_alice.id, vm.id, fx_lab.id, "10.0.0.7", &s, &err),
                     DB_OK);
    ck_assert_int_eq(db_session_disconnect(fx_db, s.id, &err), DB_OK);
    ck_assert_int_eq(db_session_disconnect(fx_db, s.id, &err), DB_ECONFLICT);
    ck_assert_int_eq(db_session_live(fx_db, fx_alice.id, fx_lab.id, &live, &err), DB_OK);
    ck_assert_int_eq(live.id, s.id);
    ck_assert_int_eq(live.state, DB_SESSION_DISCONNECTED);
    ck_assert_int_eq(live.disconnected_at, 1700000000);
    ck_assert_int_eq(db_session_on_vm(fx_db, vm.id, &live, &err), DB_OK);
    ck_assert_int_eq(db_session_reconnect(fx_db, s.id, "10.0.0.8", &err), DB_OK);
    ck_assert_int_eq(db_session_touch(fx_db, s.id, 1000, 5000, &err), DB_OK);
    ck_assert_int_eq(db_session_touch(fx_db, s.id, 10, 10, &err), DB_OK); /* never decreases */
    ck_assert_int_eq(db_session_get(fx_db, s.id, &live, &err), DB_OK);
    ck_assert_str_eq(live.client_addr, "10.0.0.8");
    ck_assert_int_eq(live.state, DB_SESSION_CONNECTED);
    ck_assert_int_eq(live.disconnected_at, 0);
    ck_assert_int_eq(live.bytes_in, 1000);
    ck_assert_int_eq(live.bytes_out, 5000);
    ck_assert_int_eq(db_session_end(fx_db, s.id, "logoff", &err), DB_OK);
    ck_assert_int_eq(db_session_end(fx_db, s.id, "logoff", &err), DB_ECONFLICT);
    ck_assert_int_eq(db_session_live(fx_db, fx_alice.id, fx_lab.id, &live, &err), DB_ENOTFOUND);
    struct db_session *list;
    size_t n;
    ck_assert_int_eq(db_session_list(fx_db, 0, 1, &list, &n, &err), DB_OK);
    ck_assert_int_eq(n, 0);
    free(list);
    ck_assert_int_eq(db_session_list(fx_db, fx_lab.id, 0, &list, &n, &err), DB_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(list[0].state, DB_SESSION_ENDED);
    free(list);
    /* The history outlives the VM row. */
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_READY, VM_DELETING, NULL, &err), DB_OK);
    ck_assert_int_eq(db_vm_delete(fx_db, vm.id, &err), DB_OK);
    ck_assert_int_eq(db_session_get(fx_db, s.id, &live, &err), DB_OK);
    ck_assert_int_eq(live.vm_id, 0);
}
END_TEST

START_TEST(sessions_to_time_out)
{
    struct dp_err err = {0};
    fx_lab.disconnect_timeout_s = 600;
    fx_lab.idle_timeout_s = 1800;
    fx_lab.max_session_s = 8 * 3600;
    ck_assert_msg(db_pool_update(fx_db, &fx_lab, &err) == DB_OK, "%s", err.msg);
    struct db_vm a = fx_vm("lab-001", &fx_lab, VM_READY), b = fx_vm("lab-002", &fx_lab, VM_READY);
    struct db_session sa, sb;
    int64_t t0 = 1700000000;
    ck_assert_int_eq(db_session_start(fx_db, fx_alice.id, a.id, fx_lab.id, NULL, &sa, &err), DB_OK);
    ck_assert_int_eq(db_session_start(fx_db, fx_bob.id, b.id, fx_lab.id, NULL, &sb, &err), DB_OK);
    db_set_now(fx_db, t0 + 100);
    ck_assert_int_eq(db_session_disconnect(fx_db, sa.id, &err), DB_OK);
    struct db_session_timeout *t;
    size_t n;
    ck_assert_int_eq(db_sessions_timed_out(fx_db, t0 + 600, &t, &n, &err), DB_OK);
    ck_assert_int_eq(n, 0);
    free(t);
    ck_assert_int_eq(db_sessions_timed_out(fx_db, t0 + 700, &t, &n, &err), DB_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(t[0].session.id, sa.id);
    ck_assert_int_eq(t[0].reason, DB_TIMEOUT_DISCONNECTED);
    free(t);
    /* bob is connected; idle after 30 min without activity... */
    ck_assert_int_eq(db_sessions_timed_out(fx_db, t0 + 1801, &t, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(t[1].session.id, sb.id);
    ck_assert_int_eq(t[1].reason, DB_TIMEOUT_IDLE);
    ck_assert_str_eq(db_timeout_reason_name(t[1].reason), "idle timeout");
    free(t);
    /* ...unless the gateway reports activity; then only max-session ends him. */
    db_set_now(fx_db, t0 + 8 * 3600 - 10);
    ck_assert_int_eq(db_session_touch(fx_db, sb.id, 1, 1, &err), DB_OK);
    ck_assert_int_eq(db_session_end(fx_db, sa.id, "timeout", &err), DB_OK);
    ck_assert_int_eq(db_sessions_timed_out(fx_db, t0 + 8 * 3600 - 5, &t, &n, &err), DB_OK);
    ck_assert_int_eq(n, 0);
    free(t);
    ck_assert_int_eq(db_sessions_timed_out(fx_db, t0 + 8 * 3600, &t, &n, &err), DB_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(t[0].reason, DB_TIMEOUT_MAX_SESSION);
    free(t);
}
END_TEST

START_TEST(counts_per_state_for_spare_targets)
{
    struct dp_err err = {0};
    fx_vm("lab-001", &fx_lab, VM_READY);
    fx_vm("lab-002", &fx_lab, VM_READY);
    fx_vm("lab-003", &fx_lab, VM_STOPPED);
    fx_vm("lab-004", &fx_lab, VM_PROVISIONING);
    fx_vm("desk-001", &fx_desk, VM_READY);
    struct db_vm got;
    ck_assert_int_eq(db_vm_claim(fx_db, fx_lab.id, fx_alice.id, &got, &err), DB_OK);
    struct db_pool_counts c;
    ck_assert_int_eq(db_pool_counts(fx_db, fx_lab.id, &c, &err), DB_OK);
    ck_assert_int_eq(c.total, 4);
    ck_assert_int_eq(c.by_state[VM_READY], 1);
    ck_assert_int_eq(c.by_state[VM_ASSIGNED], 1);
    ck_assert_int_eq(c.by_state[VM_STOPPED], 1);
    ck_assert_int_eq(c.by_state[VM_PROVISIONING], 1);
    ck_assert_int_eq(c.spare_ready, 1);
    ck_assert_int_eq(c.spare_stopped, 1);
    ck_assert_int_eq(c.busy, 1);
    /* A personal VM that is ready for its owner is not a spare. */
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_bob.id, &got, &err), DB_OK);
    ck_assert_int_eq(db_vm_set_state(fx_db, got.id, VM_ASSIGNED, VM_READY, NULL, &err), DB_OK);
    ck_assert_int_eq(db_pool_counts(fx_db, fx_desk.id, &c, &err), DB_OK);
    ck_assert_int_eq(c.by_state[VM_READY], 1);
    ck_assert_int_eq(c.spare_ready, 0);
}
END_TEST

START_TEST(next_free_name_fills_gaps)
{
    struct dp_err err = {0};
    char name[64];
    ck_assert_int_eq(db_pool_next_vm_name(fx_db, &fx_lab, name, sizeof name, &err), DB_OK);
    ck_assert_str_eq(name, "lab-001");
    fx_vm("lab-001", &fx_lab, VM_PROVISIONING);
    struct db_vm two = fx_vm("lab-002", &fx_lab, VM_PROVISIONING);
    fx_vm("lab-003", &fx_lab, VM_PROVISIONING);
    ck_assert_int_eq(db_pool_next_vm_name(fx_db, &fx_lab, name, sizeof name, &err), DB_OK);
    ck_assert_str_eq(name, "lab-004");
    ck_assert_int_eq(db_vm_set_state(fx_db, two.id, VM_PROVISIONING, VM_DELETING, NULL, &err),
                     DB_OK);
    ck_assert_int_eq(db_vm_delete(fx_db, two.id, &err), DB_OK);
    ck_assert_int_eq(db_pool_next_vm_name(fx_db, &fx_lab, name, sizeof name, &err), DB_OK);
    ck_assert_str_eq(name, "lab-002");
    /* The same name twice: the second create is refused (ask again). */
    struct db_vm dup = {0};
    snprintf(dup.name, sizeof dup.name, "lab-001");
    dup.pool_id = fx_lab.id;
    dup.template_version_id = fx_tv.id;
    ck_assert_int_eq(db_vm_create(fx_db, &dup, &err), DB_EEXISTS);
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_claim");
    TCase *tc = tcase_create("assignment");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, two_connections_claim_one_ready_vm_only_one_wins);
    tcase_add_test(tc, many_claimers_never_share_a_vm);
    tcase_add_test(tc, personal_vm_belongs_to_its_first_user);
    tcase_add_test(tc, pooled_claim_takes_the_longest_ready_vm);
    tcase_add_test(tc, entitled_pools_direct_and_through_groups);
    tcase_add_test(tc, live_session_reconnect_and_end);
    tcase_add_test(tc, sessions_to_time_out);
    tcase_add_test(tc, counts_per_state_for_spare_targets);
    tcase_add_test(tc, next_free_name_fills_gaps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
