/* SPDX-License-Identifier: Apache-2.0 */
/* The guest's word on sessions: after a disconnect, a user the guest reports gone logged
 * off inside the desktop (logoff at once, refresh), one still logged on keeps the VM for the
 * disconnect timeout, and so does a silent agent; a forced logoff on a VM that keeps its
 * disk ends the guest session too, before anyone gets the VM again. The guest is the
 * fake below (the pool manager's guest_user and guest_logoff hooks). */
#include "test_pool_fixture.h"

#include <pthread.h>

/* What the fake guest answers, and what it was asked. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_answers[8]; /* guest_user's answers in turn; the last one repeats */
static int g_nanswers, g_asked;
static int g_logoff_result; /* what guest_logoff returns */
static int g_logoff_delay_ms;
static int g_logoffs; /* guest_logoff calls */
static char g_logoff_vm[64], g_logoff_account[64];
static uint64_t g_logoff_done_ms, g_password_ms; /* when the last of each finished/started */
static int64_t g_logoff_while_asked; /* a session an admin logs off while the guest is asked */

static void answers(int n, const int *a)
{
    pthread_mutex_lock(&g_mu);
    memcpy(g_answers, a, (size_t)n * sizeof *a);
    g_nanswers = n;
    pthread_mutex_unlock(&g_mu);
}

static int fake_guest_user(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                           struct dp_err *err)
{
    (void)hv;
    (void)account;
    (void)timeout_ms;
    pthread_mutex_lock(&g_mu);
    int a = g_answers[g_asked < g_nanswers ? g_asked : g_nanswers - 1];
    g_asked++;
    int64_t sid = g_logoff_while_asked;
    pthread_mutex_unlock(&g_mu);
    if (sid) {
        struct dp_err e = {0};
        ck_assert_int_eq(pool_mgr_session_event(px_m, sid, POOL_SESSION_LOGOFF, 0, 0, &e), DB_OK);
    }
    if (a < 0)
        dp_err_set(err, "VM %s: the fake guest agent is silent", vm);
    return a;
}

static int fake_guest_logoff(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                             struct dp_err *err)
{
    (void)hv;
    (void)timeout_ms;
    struct timespec ts = {0, (long)g_logoff_delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&g_mu);
    g_logoffs++;
    snprintf(g_logoff_vm, sizeof g_logoff_vm, "%s", vm);
    snprintf(g_logoff_account, sizeof g_logoff_account, "%s", account);
    g_logoff_done_ms = dp_now_ms();
    int r = g_logoff_result;
    pthread_mutex_unlock(&g_mu);
    if (r == -1)
        dp_err_set(err, "VM %s: the fake guest agent failed", vm);
    return r;
}

static int set_password_timed(struct hv *hv, const char *name, const char *user,
                              const char *password, int timeout_ms, struct dp_err *err)
{
    pthread_mutex_lock(&g_mu);
    g_password_ms = dp_now_ms();
    pthread_mutex_unlock(&g_mu);
    return hv_fake_set_password(hv, name, user, password, timeout_ms, err);
}

static void setup(void)
{
    px_setup();
    px_cfg.guest_user = fake_guest_user;
    px_cfg.guest_logoff = fake_guest_logoff;
    px_cfg.guest_timeout_ms = 2000;
    px_cfg.set_password = set_password_timed;
    int gone[] = {POOL_GUEST_DISCONNECTED};
    answers(1, gone);
    g_asked = g_logoffs = 0;
    g_logoff_result = 1;
    g_logoff_delay_ms = 0;
    g_logoff_vm[0] = g_logoff_account[0] = '\0';
    g_logoff_done_ms = g_password_ms = 0;
    g_logoff_while_asked = 0;
}

static int asked(void)
{
    pthread_mutex_lock(&g_mu);
    int n = g_asked;
    pthread_mutex_unlock(&g_mu);
    return n;
}

/* alice gets a desktop in pool p and connects. */
static struct pool_desktop connect_user(struct db_pool p, struct db_user u)
{
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(u.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    return d;
}

static void disconnect(struct pool_desktop d)
{
    struct dp_err err = {0};
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_DISCONNECTED, 1, 2, &err), DB_OK);
}

static enum db_session_state session_state(int64_t id)
{
    struct db_session s;
    ck_assert_int_eq(db_session_get(px_db, id, &s, NULL), DB_OK);
    return s.state;
}

static long long audits(const char *action, const char *like)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_events WHERE action = '%s' AND detail LIKE '%%%s%%'",
             action, like);
    return px_int(sql);
}

START_TEST(user_gone_from_the_guest_is_logged_off_and_the_vm_refreshed)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    int gone[] = {POOL_GUEST_GONE};
    answers(1, gone);
    disconnect(d);
    px_settle(); /* no clock advance: the disconnect timeout (1 h) plays no part */
    ck_assert_int_ge(asked(), 1);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1); /* a fresh overlay */
    struct db_vm vm = px_vm(d.vm);
    ck_assert_int_eq(vm.state, VM_READY);
    ck_assert_int_eq(vm.assigned_user_id, 0);
    ck_assert_int_eq(audits("session.end", "the guest reports the user gone"), 1);
    ck_assert_int_eq(audits("session.guest_check", "logged off"), 1);
    ck_assert_int_eq(g_logoffs, 0); /* nothing left to end in the guest, and the disk is new */
}
END_TEST

START_TEST(user_still_logged_on_keeps_the_vm_until_the_disconnect_timeout)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    p.disconnect_timeout_s = 60;
    ck_assert_int_eq(db_pool_update(px_db, &p, NULL), DB_OK);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice), again;
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    disconnect(d); /* the guest answers: logged on, disconnected */
    px_settle();
    ck_assert_int_ge(asked(), 1);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_DISCONNECTED);
    ck_assert_int_eq(px_vm(d.vm).state, VM_DISCONNECTED);
    ck_assert_int_eq(audits("session.guest_check", "logged on, disconnected"), 1);
    /* Reconnect: the same VM, the same session, the same disk. */
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm);
    ck_assert_int_eq(again.session_id, d.session_id);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen);
    /* Gone again, for good this time: the timeout logs off, as before. */
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    disconnect(d);
    px_settle();
    px_advance(61);
    px_settle();
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1);
    ck_assert_int_eq(audits("session.end", "disconnect timeout"), 1);
}
END_TEST

START_TEST(a_silent_agent_changes_nothing)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    p.disconnect_timeout_s = 60;
    ck_assert_int_eq(db_pool_update(px_db, &p, NULL), DB_OK);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    int silent[] = {-1};
    answers(1, silent);
    disconnect(d);
    px_settle();
    ck_assert_int_ge(asked(), 1);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_DISCONNECTED);
    ck_assert_int_eq(px_vm(d.vm).state, VM_DISCONNECTED);
    ck_assert_int_eq(audits("session.guest_check", "did not answer"), 1);
    px_advance(61);
    px_settle();
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    ck_assert_int_eq(audits("session.end", "disconnect timeout"), 1);
}
END_TEST

START_TEST(a_guest_still_showing_the_user_connected_is_asked_again)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    /* The desktop publishes the logoff a moment after the connection closed. */
    int lag[] = {POOL_GUEST_ACTIVE, POOL_GUEST_ACTIVE, POOL_GUEST_GONE};
    answers(3, lag);
    disconnect(d);
    px_settle();
    ck_assert_int_eq(asked(), 3);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    ck_assert_int_eq(audits("session.end", "the guest reports the user gone"), 1);
}
END_TEST

START_TEST(a_user_connected_in_the_guest_until_the_deadline_keeps_the_vm)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_cfg.guest_timeout_ms = 600;
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    int active[] = {POOL_GUEST_ACTIVE};
    answers(1, active);
    disconnect(d);
    px_settle();
    ck_assert_int_ge(asked(), 2);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_DISCONNECTED);
    ck_assert_int_eq(audits("session.guest_check", "logged on, connected"), 1);
}
END_TEST

/* Logs alice's session off as an admin would and lets the workers finish. */
static void admin_logoff(struct pool_desktop d)
{
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    px_settle();
}

START_TEST(forced_logoff_ends_the_guest_session_on_a_personal_vm)
{
    struct db_pool p = px_pool("desk", DB_POOL_PERSONAL, 0, 2, 1, 0, 1);
    p.disconnect_timeout_s = 60;
    ck_assert_int_eq(db_pool_update(px_db, &p, NULL), DB_OK);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    admin_logoff(d);
    ck_assert_int_eq(g_logoffs, 1);
    ck_assert_str_eq(g_logoff_vm, d.vm);
    ck_assert_str_eq(g_logoff_account, "alice");
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen); /* her disk is kept */
    ck_assert_int_eq(px_vm(d.vm).state, VM_READY);
    ck_assert_int_eq(audits("session.guest_logoff", "1 guest session(s) ended"), 1);
    /* The disconnect timeout is a forced logoff too. */
    d = connect_user(p, alice);
    disconnect(d);
    px_settle();
    px_advance(61);
    px_settle();
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    ck_assert_int_eq(g_logoffs, 2);
}
END_TEST

START_TEST(forced_logoff_calls_the_guest_only_where_the_disk_is_kept)
{
    struct db_pool refresh = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_pool keep = px_pool("keep", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    keep.refresh_on_logoff = 0;
    ck_assert_int_eq(db_pool_update(px_db, &keep, NULL), DB_OK);
    struct db_user alice = px_user("alice", refresh.id);
    struct dp_err err = {0};
    ck_assert_int_eq(db_entitle_user(px_db, keep.id, alice.id, &err), DB_OK);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(refresh, alice);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    admin_logoff(d);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen + 1); /* discarded: nothing to end */
    ck_assert_int_eq(g_logoffs, 0);
    d = connect_user(keep, alice);
    gen = hv_fake_disk_gen(px_hv, d.vm);
    admin_logoff(d);
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen);
    ck_assert_int_eq(g_logoffs, 1);
    ck_assert_str_eq(g_logoff_vm, d.vm);
}
END_TEST

START_TEST(an_older_guest_without_the_command_only_gets_a_warning)
{
    struct db_pool p = px_pool("desk", DB_POOL_PERSONAL, 0, 2, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    g_logoff_result = POOL_GUEST_NO_COMMAND;
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice), again;
    admin_logoff(d);
    ck_assert_int_eq(g_logoffs, 1);
    ck_assert_int_eq(px_vm(d.vm).state, VM_READY);
    ck_assert_int_eq(audits("session.guest_logoff", "lacks deskpool-logoff-user"), 1);
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm); /* her desktop, as before */
}
END_TEST

START_TEST(the_next_login_waits_for_the_guest_logoff)
{
    struct db_pool p = px_pool("desk", DB_POOL_PERSONAL, 0, 2, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice), again;
    g_logoff_delay_ms = 300;
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    /* At once, before any worker is done: the old guest session must end before the new
     * credential is set, or alice would land in it (or lose the new one to the logoff). */
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm);
    ck_assert_int_ne(again.session_id, d.session_id);
    px_settle();
    ck_assert_int_eq(g_logoffs, 1);
    ck_assert(g_logoff_done_ms > 0 && g_logoff_done_ms <= g_password_ms);
    ck_assert_int_eq(session_state(again.session_id), DB_SESSION_CONNECTED);
}
END_TEST

START_TEST(a_reconnect_after_a_logoff_in_the_guest_gets_a_fresh_desktop)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 2, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice), again;
    int gone[] = {POOL_GUEST_GONE};
    answers(1, gone);
    disconnect(d);
    /* Asking again at once: the guest's answer comes first, so not the logged-off session. */
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_ne(again.session_id, d.session_id);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    px_settle();
    ck_assert_int_eq(audits("session.end", "the guest reports the user gone"), 1);
}
END_TEST

START_TEST(an_answer_that_comes_after_a_logoff_is_moot)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 1, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d = connect_user(p, alice);
    g_logoff_while_asked = d.session_id; /* an admin logs her off while the guest is asked */
    disconnect(d);
    px_settle();
    ck_assert_int_ge(asked(), 1);
    ck_assert_int_eq(session_state(d.session_id), DB_SESSION_ENDED);
    /* The guest's "still logged on" came too late to mean anything: not logged, not audited. */
    ck_assert_int_eq(audits("session.guest_check", ""), 0);
    ck_assert_int_eq(px_vm(d.vm).state, VM_READY);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool_guest");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, px_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, user_gone_from_the_guest_is_logged_off_and_the_vm_refreshed);
    tcase_add_test(tc, user_still_logged_on_keeps_the_vm_until_the_disconnect_timeout);
    tcase_add_test(tc, a_silent_agent_changes_nothing);
    tcase_add_test(tc, a_guest_still_showing_the_user_connected_is_asked_again);
    tcase_add_test(tc, a_user_connected_in_the_guest_until_the_deadline_keeps_the_vm);
    tcase_add_test(tc, forced_logoff_ends_the_guest_session_on_a_personal_vm);
    tcase_add_test(tc, forced_logoff_calls_the_guest_only_where_the_disk_is_kept);
    tcase_add_test(tc, an_older_guest_without_the_command_only_gets_a_warning);
    tcase_add_test(tc, the_next_login_waits_for_the_guest_logoff);
    tcase_add_test(tc, a_reconnect_after_a_logoff_in_the_guest_gets_a_fresh_desktop);
    tcase_add_test(tc, an_answer_that_comes_after_a_logoff_is_moot);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
