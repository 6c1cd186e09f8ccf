/* SPDX-License-Identifier: Apache-2.0 */
/* The VM state machine: the exact edge set, and the store's compare-and-set on it (illegal
 * edges refused, a lost race reported, audit events written with each change). */
#include "test_broker_fixture.h"

#include "log.h"

/* The edges a Horizon admin would expect, written out independently of vm_state.c: the test
 * fails if an edge is added or removed there without updating this list. */
static const enum vm_state expected[][2] = {
    {VM_PROVISIONING, VM_STOPPED},    {VM_PROVISIONING, VM_STARTING}, {VM_STOPPED, VM_STARTING},
    {VM_STOPPED, VM_REFRESHING},      {VM_STARTING, VM_READY},        {VM_STARTING, VM_STOPPING},
    {VM_READY, VM_ASSIGNED},          {VM_READY, VM_STOPPING},        {VM_READY, VM_REFRESHING},
    {VM_STOPPING, VM_STOPPED},        {VM_ASSIGNED, VM_IN_USE},       {VM_ASSIGNED, VM_READY},
    {VM_IN_USE, VM_DISCONNECTED},     {VM_IN_USE, VM_REFRESHING},     {VM_DISCONNECTED, VM_IN_USE},
    {VM_DISCONNECTED, VM_REFRESHING}, {VM_DISCONNECTED, VM_READY},    {VM_REFRESHING, VM_STOPPED},
    {VM_REFRESHING, VM_STARTING},     {VM_ERROR, VM_REFRESHING},      {VM_ERROR, VM_STOPPED},
};

static int expected_edge(enum vm_state from, enum vm_state to)
{
    if (from == to)
        return 0;
    if (to == VM_ERROR || to == VM_DELETING)
        return 1; /* any state can fail or be deleted */
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (expected[i][0] == from && expected[i][1] == to)
            return 1;
    return 0;
}

START_TEST(edge_set_is_exactly_the_documented_one)
{
    int allowed = 0;
    for (int f = 0; f < VM_STATE_COUNT; f++) {
        for (int t = 0; t < VM_STATE_COUNT; t++) {
            int want = expected_edge((enum vm_state)f, (enum vm_state)t);
            ck_assert_msg(vm_transition_allowed((enum vm_state)f, (enum vm_state)t) == want,
                          "%s -> %s should be %s", vm_state_name((enum vm_state)f),
                          vm_state_name((enum vm_state)t), want ? "allowed" : "forbidden");
            /* Every allowed edge says why it exists. */
            const char *why = vm_transition_why((enum vm_state)f, (enum vm_state)t);
            ck_assert_int_eq(why != NULL, want);
            if (why)
                ck_assert_int_gt(strlen(why), 10);
            allowed += want;
        }
    }
    ck_assert_int_eq(allowed, 21 + (VM_STATE_COUNT - 1) * 2);
}
END_TEST

START_TEST(forbidden_edges_that_would_hurt_users)
{
    /* A used VM never goes straight back to the spares. */
    ck_assert(!vm_transition_allowed(VM_IN_USE, VM_READY));
    /* A session always starts from a claim. */
    ck_assert(!vm_transition_allowed(VM_READY, VM_IN_USE));
    ck_assert(!vm_transition_allowed(VM_STOPPED, VM_ASSIGNED));
    /* No power-off under a user's session. */
    ck_assert(!vm_transition_allowed(VM_IN_USE, VM_STOPPING));
    ck_assert(!vm_transition_allowed(VM_DISCONNECTED, VM_STOPPED));
    /* A new disk must prove it is ready. */
    ck_assert(!vm_transition_allowed(VM_REFRESHING, VM_READY));
    ck_assert(!vm_transition_allowed(VM_PROVISIONING, VM_READY));
    /* Deletion is not undone. */
    ck_assert(!vm_transition_allowed(VM_DELETING, VM_READY));
    ck_assert(!vm_transition_allowed(VM_DELETING, VM_STOPPED));
    ck_assert(!vm_transition_allowed(VM_ERROR, VM_READY));
    /* Out of range is never allowed. */
    ck_assert(!vm_transition_allowed(VM_STATE_COUNT, VM_READY));
    ck_assert(!vm_transition_allowed(VM_READY, (enum vm_state) - 1));
}
END_TEST

START_TEST(names_round_trip)
{
    for (int s = 0; s < VM_STATE_COUNT; s++) {
        enum vm_state back = VM_STATE_COUNT;
        ck_assert_int_eq(vm_state_parse(vm_state_name((enum vm_state)s), &back), 0);
        ck_assert_int_eq(back, s);
    }
    enum vm_state x = VM_READY;
    ck_assert_int_eq(vm_state_parse("running", &x), -1);
    ck_assert_int_eq(vm_state_parse("READY", &x), -1);
    ck_assert_int_eq(vm_state_parse(NULL, &x), -1);
    ck_assert_int_eq(x, VM_READY);
    ck_assert_str_eq(vm_state_name(VM_IN_USE), "in_use");
    ck_assert_str_eq(vm_state_name(VM_STATE_COUNT), "?");
    char list[256];
    ck_assert_str_eq(vm_state_next_list(VM_STOPPING, list, sizeof list),
                     "stopped, error or deleting");
}
END_TEST

START_TEST(full_pooled_lifecycle_through_the_store)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY), got;
    ck_assert_int_eq(db_vm_claim(fx_db, fx_lab.id, fx_alice.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.id, vm.id);
    ck_assert_int_eq(got.state, VM_ASSIGNED);
    ck_assert_str_eq(got.assigned_user, "alice");
    static const enum vm_state path[] = {
        VM_ASSIGNED, VM_IN_USE,   VM_DISCONNECTED, VM_IN_USE,     VM_REFRESHING, VM_STARTING,
        VM_READY,    VM_STOPPING, VM_STOPPED,      VM_REFRESHING, VM_STOPPED,    VM_DELETING};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++) {
        ck_assert_msg(db_vm_set_state(fx_db, vm.id, path[i], path[i + 1], NULL, &err) == DB_OK,
                      "%s", err.msg);
        ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
        ck_assert_int_eq(got.state, path[i + 1]);
        /* A pooled VM holds its user only while the user holds it. */
        ck_assert_int_eq(got.assigned_user_id != 0, vm_state_holds_user(path[i + 1]));
    }
    ck_assert_int_eq(db_vm_delete(fx_db, vm.id, &err), DB_OK);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_ENOTFOUND);
}
END_TEST

START_TEST(illegal_edge_is_refused_and_changes_nothing)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY), got;
    long long events = fx_int(fx_db, "SELECT count(*) FROM audit_events");
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_READY, VM_IN_USE, NULL, &err), DB_EINVAL);
    ck_assert_msg(strstr(err.msg, "\"lab-001\" cannot go from ready to in_use"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "assigned, refreshing, stopping, error or deleting"), "%s",
                  err.msg);
    /* Only a claim assigns. */
    dp_err_clear(&err);
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_READY, VM_ASSIGNED, NULL, &err), DB_EINVAL);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.state, VM_READY);
    ck_assert_int_eq(got.state_changed, vm.state_changed);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events"), events);
    /* A VM that is not in deleting is not removed. */
    dp_err_clear(&err);
    ck_assert_int_eq(db_vm_delete(fx_db, vm.id, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "deskpool vm delete lab-001"), "%s", err.msg);
}
END_TEST

START_TEST(compare_and_set_loses_against_a_concurrent_change)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY), got;
    /* A second connection (another process, say the API) sees the same VM... */
    struct db *other;
    ck_assert_int_eq(db_open(fx_path, &other, &err), DB_OK);
    struct db_vm seen;
    ck_assert_int_eq(db_vm_get_by_id(other, vm.id, &seen, &err), DB_OK);
    ck_assert_int_eq(seen.state, VM_READY);
    /* ...the pool manager demotes it to an L2 spare meanwhile... */
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_READY, VM_STOPPING, "L2", &err), DB_OK);
    /* ...so the other connection's change, decided on "ready", must lose. */
    ck_assert_int_eq(db_vm_set_state(other, vm.id, seen.state, VM_REFRESHING, "recompose", &err),
                     DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "\"lab-001\" is stopping, not ready"), "%s", err.msg);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.state, VM_STOPPING);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events WHERE detail LIKE "
                                   "'%recompose%'"),
                     0);
    db_close(other);
}
END_TEST

START_TEST(state_changes_write_audit_events_in_the_same_transaction)
{
    struct dp_err err = {0};
    db_set_actor(fx_db, "pool-manager");
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_STARTING);
    ck_assert_int_eq(
        db_vm_set_state(fx_db, vm.id, VM_STARTING, VM_ERROR, "guest never answered \"ping\"", &err),
        DB_OK);
    struct db_vm got;
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
    ck_assert_str_eq(got.last_error, "guest never answered \"ping\"");

    struct db_audit_event *ev;
    size_t n;
    ck_assert_int_eq(db_audit_list(fx_db, 0, 100, "vm:lab-001", &ev, &n, &err), DB_OK);
    /* create, provisioning->stopped, stopped->starting, starting->error */
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(ev[0].action, "vm.create");
    ck_assert_str_eq(ev[3].action, "vm.state");
    ck_assert_str_eq(ev[3].actor, "pool-manager");
    ck_assert_str_eq(ev[3].detail, "{\"from\":\"starting\",\"to\":\"error\",\"reason\":"
                                   "\"guest never answered \\\"ping\\\"\"}");
    ck_assert_int_eq(fx_int(fx_db, "SELECT json_valid(detail) FROM audit_events ORDER BY id "
                                   "DESC LIMIT 1"),
                     1);
    free(ev);

    /* A state change rolled back with the caller's transaction leaves no event either. */
    ck_assert_int_eq(db_begin(fx_db, &err), DB_OK);
    ck_assert_int_eq(db_vm_set_state(fx_db, vm.id, VM_ERROR, VM_REFRESHING, NULL, &err), DB_OK);
    db_rollback(fx_db);
    ck_assert_int_eq(db_audit_list(fx_db, 0, 100, "vm:lab-001", &ev, &n, &err), DB_OK);
    ck_assert_int_eq(n, 4);
    free(ev);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.state, VM_ERROR);
}
END_TEST

START_TEST(personal_vm_keeps_its_owner_through_refresh)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("desk-001", &fx_desk, VM_READY), got;
    ck_assert_int_eq(db_vm_claim(fx_db, fx_desk.id, fx_alice.id, &got, &err), DB_OK);
    static const enum vm_state path[] = {VM_ASSIGNED,   VM_IN_USE,   VM_DISCONNECTED, VM_READY,
                                         VM_REFRESHING, VM_STARTING, VM_READY};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++)
        ck_assert_msg(db_vm_set_state(fx_db, vm.id, path[i], path[i + 1], NULL, &err) == DB_OK,
                      "%s", err.msg);
    ck_assert_int_eq(db_vm_get_by_id(fx_db, vm.id, &got, &err), DB_OK);
    ck_assert_int_eq(got.assigned_user_id, fx_alice.id);
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_vm_state");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, edge_set_is_exactly_the_documented_one);
    tcase_add_test(pure, forbidden_edges_that_would_hurt_users);
    tcase_add_test(pure, names_round_trip);
    suite_add_tcase(s, pure);
    TCase *store = tcase_create("store");
    tcase_add_checked_fixture(store, fx_setup, fx_teardown);
    tcase_add_test(store, full_pooled_lifecycle_through_the_store);
    tcase_add_test(store, illegal_edge_is_refused_and_changes_nothing);
    tcase_add_test(store, compare_and_set_loses_against_a_concurrent_change);
    tcase_add_test(store, state_changes_write_audit_events_in_the_same_transaction);
    tcase_add_test(store, personal_vm_keeps_its_owner_through_refresh);
    suite_add_tcase(s, store);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
