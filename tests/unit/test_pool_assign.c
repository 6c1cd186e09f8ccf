/* SPDX-License-Identifier: Apache-2.0 */
/* Assignment: races of many users at once (never two users on one VM, at most one VM per
 * user and pool), reconnect, personal pools, STARTING, refusals, and a guest whose agent
 * fails while credentials are set. */
#include "test_pool_fixture.h"

#include <pthread.h>

enum { USERS = 24 };

struct asker {
    pthread_barrier_t *go;
    int64_t user_id, pool_id;
    int rc;
    struct pool_desktop d;
    char msg[1024];
};

static void *ask(void *arg)
{
    struct asker *a = arg;
    struct dp_err err = {0};
    pthread_barrier_wait(a->go);
    for (int i = 0; i < 400; i++) {
        dp_err_clear(&err);
        a->rc = pool_mgr_request_desktop(px_m, a->user_id, a->pool_id, NULL, &a->d, &err);
        if (a->rc != DB_OK || a->d.status == POOL_DESKTOP_READY)
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(a->msg, sizeof a->msg, "%s", err.msg);
    return NULL;
}

/* USERS users, each asking twice at the same moment (two clients): every user gets one VM,
 * both of their answers name it, and no VM has two users. */
static void race(struct db_pool p)
{
    struct db_user u[USERS];
    for (int i = 0; i < USERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "user%02d", i);
        u[i] = px_user(name, p.id);
    }
    px_start();
    px_settle();
    struct asker a[2 * USERS];
    pthread_t t[2 * USERS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2 * USERS);
    for (int i = 0; i < 2 * USERS; i++) {
        a[i] = (struct asker){.go = &go, .user_id = u[i % USERS].id, .pool_id = p.id};
        pthread_create(&t[i], NULL, ask, &a[i]);
    }
    for (int i = 0; i < 2 * USERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < 2 * USERS; i++) {
        ck_assert_msg(a[i].rc == DB_OK && a[i].d.status == POOL_DESKTOP_READY, "asker %d: %d %s", i,
                      a[i].rc, a[i].msg);
        /* Both requests of one user name the same VM and session. */
        ck_assert_str_eq(a[i].d.vm, a[(i + USERS) % (2 * USERS)].d.vm);
        ck_assert_int_eq(a[i].d.session_id, a[(i + USERS) % (2 * USERS)].d.session_id);
        for (int k = 0; k < USERS; k++)
            if (k != i % USERS)
                ck_assert_str_ne(a[i].d.vm, a[k].d.vm);
    }
    /* The store agrees: one live session per user, one user per VM, every VM assigned. */
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), USERS);
    ck_assert_int_eq(px_int("SELECT count(DISTINCT vm_id) FROM sessions WHERE state <> 'ended'"),
                     USERS);
    ck_assert_int_eq(px_count(p.id, VM_ASSIGNED), USERS);
    ck_assert_int_eq(px_int("SELECT count(*) FROM vms v JOIN sessions s ON s.vm_id = v.id AND "
                            "s.state <> 'ended' WHERE v.assigned_user_id <> s.user_id"),
                     0);
}

START_TEST(racing_users_with_spares_ready)
{
    race(px_pool("lab", DB_POOL_POOLED, 0, USERS + 4, USERS, 0, 4));
}
END_TEST

START_TEST(racing_users_with_nothing_ready)
{
    /* spare 0: every VM is made on demand while the users wait and ask again. */
    race(px_pool("lab", DB_POOL_POOLED, 0, USERS, 0, 0, 4));
}
END_TEST

START_TEST(racing_users_in_a_personal_pool)
{
    race(px_pool("desk", DB_POOL_PERSONAL, 0, USERS, 4, 0, 4));
}
END_TEST

START_TEST(reconnect_returns_the_same_vm_with_new_credentials)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_start();
    px_settle();
    struct pool_desktop d1, d2;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d1, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(d1.status, POOL_DESKTOP_READY);
    ck_assert_str_eq(d1.host, "127.0.0.1");
    ck_assert_int_eq(d1.port, px_vm(d1.vm).rdp_port);
    ck_assert_str_eq(d1.username, "alice"); /* the guest account is the user's name */
    ck_assert_int_ge((int)strlen(d1.password), 20);
    char user[64], pw[64];
    ck_assert_int_eq(hv_fake_password(px_hv, d1.vm, user, sizeof user, pw, sizeof pw), 0);
    ck_assert_str_eq(user, "alice");
    ck_assert_str_eq(pw, d1.password);
    /* Connected, then the connection drops: asking again gives the same desktop. */
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, d1.session_id, POOL_SESSION_CONNECTED, 10, 20, &err), DB_OK);
    ck_assert_int_eq(px_vm(d1.vm).state, VM_IN_USE);
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, d1.session_id, POOL_SESSION_DISCONNECTED, 10, 20, &err),
        DB_OK);
    ck_assert_int_eq(px_vm(d1.vm).state, VM_DISCONNECTED);
    ck_assert_msg(px_request(alice.id, p.id, &d2, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(d2.vm, d1.vm);
    ck_assert_int_eq(d2.session_id, d1.session_id);
    ck_assert_str_ne(d2.password, d1.password); /* one-time: a new one each time */
    ck_assert_int_eq(hv_fake_password(px_hv, d1.vm, user, sizeof user, pw, sizeof pw), 0);
    ck_assert_str_eq(pw, d2.password);
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, d1.session_id, POOL_SESSION_CONNECTED, 30, 40, &err), DB_OK);
    ck_assert_int_eq(px_vm(d1.vm).state, VM_IN_USE);
    struct db_session s;
    ck_assert_int_eq(db_session_get(px_db, d1.session_id, &s, NULL), DB_OK);
    ck_assert_int_eq(s.state, DB_SESSION_CONNECTED);
    ck_assert_int_eq(s.bytes_out, 40);
    /* The password is in no table and no audit event. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_events WHERE detail LIKE '%%%s%%'",
             d2.password);
    ck_assert_int_eq(px_int(sql), 0);
}
END_TEST

START_TEST(personal_pool_keeps_the_users_vm)
{
    struct db_pool p = px_pool("desk", DB_POOL_PERSONAL, 0, 4, 1, 0, 2);
    struct db_user alice = px_user("alice", p.id), bob = px_user("bob", p.id);
    px_start();
    px_settle();
    struct pool_desktop d, again, other;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    int gen = hv_fake_disk_gen(px_hv, d.vm);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_CONNECTED, 0, 0, &err),
                     DB_OK);
    ck_assert_int_eq(pool_mgr_session_event(px_m, d.session_id, POOL_SESSION_LOGOFF, 0, 0, &err),
                     DB_OK);
    px_settle();
    struct db_vm vm = px_vm(d.vm);
    ck_assert_int_eq(vm.state, VM_READY);
    ck_assert_int_eq(vm.assigned_user_id, alice.id);      /* still hers */
    ck_assert_int_eq(hv_fake_disk_gen(px_hv, d.vm), gen); /* and her disk kept */
    ck_assert_msg(px_request(bob.id, p.id, &other, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_ne(other.vm, d.vm);
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm);

    /* Powered off by an admin: her next request starts it, and she gets it back. */
    ck_assert_int_eq(
        pool_mgr_session_event(px_m, again.session_id, POOL_SESSION_LOGOFF, 0, 0, &err), DB_OK);
    ck_assert_msg(pool_mgr_vm_stop(px_m, vm.id, &err) == DB_OK, "%s", err.msg);
    px_settle();
    ck_assert_int_eq(px_vm(d.vm).state, VM_STOPPED);
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, alice.id, p.id, NULL, &again, &err), DB_OK);
    ck_assert_int_eq(again.status, POOL_DESKTOP_STARTING);
    ck_assert_msg(px_request(alice.id, p.id, &again, &err) == DB_OK, "%s", err.msg);
    ck_assert_str_eq(again.vm, d.vm);
}
END_TEST

START_TEST(starting_then_ready)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 2, 0, 0, 1);
    struct db_user alice = px_user("alice", p.id);
    hv_fake_set_ready_delay_ms(px_hv, 100);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, alice.id, p.id, NULL, &d, &err), DB_OK);
    ck_assert_int_eq(d.status, POOL_DESKTOP_STARTING);
    ck_assert_int_eq(d.retry_after_s, 1);
    ck_assert_str_ne(d.vm, ""); /* the VM being made for her */
    char coming[64];
    snprintf(coming, sizeof coming, "%s", d.vm);
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(d.status, POOL_DESKTOP_READY);
    ck_assert_str_eq(d.vm, coming);
}
END_TEST

START_TEST(refusals_name_what_and_what_to_do)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 2, 1, 0, 1);
    struct db_user alice = px_user("alice", p.id), eve = px_user("eve", 0);
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, eve.id, p.id, NULL, &d, &err), DB_EDENIED);
    ck_assert_msg(strstr(err.msg, "not entitled") && strstr(err.msg, "deskpool entitle lab eve"),
                  "%s", err.msg);
    dp_err_clear(&err);
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, alice.id, 999, NULL, &d, &err), DB_ENOTFOUND);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_set_enabled(px_db, alice.id, 0, NULL), DB_OK);
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, alice.id, p.id, NULL, &d, &err), DB_EDENIED);
    ck_assert_msg(strstr(err.msg, "disabled"), "%s", err.msg);
    ck_assert_int_eq(db_user_set_enabled(px_db, alice.id, 1, NULL), DB_OK);
    /* Paused, nothing ready: refused with the reason. A ready VM is still handed out. */
    ck_assert_int_eq(db_pool_set_paused(px_db, p.id, 1, "maintenance", NULL), DB_OK);
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    struct db_user bob = px_user("bob", p.id);
    dp_err_clear(&err);
    ck_assert_int_eq(pool_mgr_request_desktop(px_m, bob.id, p.id, NULL, &d, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "paused: maintenance"), "%s", err.msg);
    ck_assert_int_eq(px_count(p.id, -1), 1);
}
END_TEST

/* A set_password hook whose guest agent fails the first time. */
static int fail_once;
static int flaky_password(struct hv *hv, const char *vm, const char *account, const char *pw,
                          int timeout_ms, struct dp_err *err)
{
    if (__atomic_exchange_n(&fail_once, 0, __ATOMIC_SEQ_CST)) {
        dp_err_set(err, "guest agent timed out");
        return -1;
    }
    return hv_fake_set_password(hv, vm, account, pw, timeout_ms, err);
}

START_TEST(a_vm_whose_agent_fails_is_given_up_and_another_handed_out)
{
    struct db_pool p = px_pool("lab", DB_POOL_POOLED, 0, 4, 2, 0, 2);
    struct db_user alice = px_user("alice", p.id);
    px_cfg.set_password = flaky_password;
    fail_once = 1;
    px_start();
    px_settle();
    struct pool_desktop d;
    struct dp_err err = {0};
    ck_assert_msg(px_request(alice.id, p.id, &d, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(d.status, POOL_DESKTOP_READY);
    ck_assert_int_eq(px_int("SELECT count(*) FROM sessions WHERE state <> 'ended'"), 1);
    ck_assert_int_eq(px_int("SELECT count(*) FROM audit_events WHERE action = 'vm.state' AND "
                            "detail LIKE '%\"to\":\"error\"%guest agent timed out%'"),
                     1);
    px_settle(); /* the failed VM is rebuilt */
    ck_assert_int_eq(px_count(p.id, VM_ERROR), 0);
    ck_assert_int_eq(px_count(p.id, VM_READY), 2);
}
END_TEST

PX_SUITE("pool_assign", racing_users_with_spares_ready, racing_users_with_nothing_ready,
         racing_users_in_a_personal_pool, reconnect_returns_the_same_vm_with_new_credentials,
         personal_pool_keeps_the_users_vm, starting_then_ready, refusals_name_what_and_what_to_do,
         a_vm_whose_agent_fails_is_given_up_and_another_handed_out)
