/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user's session inside the guest, which outlives the RDP connection: closing the
 * client leaves a disconnected guest session to re-attach to, and logging off inside the
 * desktop ends it before the connection closes. The gateway sees only the connection, so
 * after a disconnect the broker asks the guest which of the two it was (guest-get-users),
 * and a logoff the broker forces on a VM that keeps its disk is carried into the guest
 * (deskpool-logoff-user), so the next login starts a new guest session.
 * Both run as jobs on the workers: a guest agent may take seconds, or never answer.
 */
#include "pool_internal.h"

#include "err.h"
#include "files.h"
#include "log.h"
#include "qga.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The desktop may publish a logoff a moment after the connection closed: a user the guest
 * still shows connected is asked again this often until the deadline. */
#define RECHECK_MS 250

const char *guest_account(const struct pool_mgr *m, const struct db_session *s)
{
    return m->cfg.guest_account ? m->cfg.guest_account : s->user;
}

int guest_timeout_ms(const struct pool_mgr *m)
{
    return m->cfg.guest_timeout_ms > 0 ? m->cfg.guest_timeout_ms : 5000;
}

int guest_user_qga(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                   struct dp_err *err)
{
    struct hv_vm_paths p;
    if (hv->ops->paths(hv, vm, &p, err) != 0)
        return -1;
    struct dp_err qerr = {0};
    json_t *users = qga_call(p.qga, "guest-get-users", NULL, timeout_ms, &qerr);
    if (!users) {
        dp_err_set(err, "VM %s: guest-get-users got no answer (%s)", vm, dp_err_msg(&qerr));
        return -1;
    }
    struct qga_user u;
    int found = qga_users_find(users, account, &u);
    json_decref(users);
    if (found < 0) {
        dp_err_set(err, "VM %s: guest-get-users answered something that is not a list of users",
                   vm);
        return -1;
    }
    if (!found)
        return POOL_GUEST_GONE;
    return u.state == QGA_USER_ACTIVE         ? POOL_GUEST_ACTIVE
           : u.state == QGA_USER_DISCONNECTED ? POOL_GUEST_DISCONNECTED
                                              : POOL_GUEST_LOGGED_ON;
}

int guest_logoff_qga(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                     struct dp_err *err)
{
    struct hv_vm_paths p;
    if (hv->ops->paths(hv, vm, &p, err) != 0)
        return -1;
    json_t *args = qga_args_logoff_user(account);
    if (!args) {
        dp_err_set(err, "VM %s: cannot build deskpool-logoff-user for account \"%s\"", vm, account);
        return -1;
    }
    struct dp_err qerr = {0};
    json_t *r = qga_call(p.qga, "deskpool-logoff-user", args, timeout_ms, &qerr);
    if (!r) {
        dp_err_set(err, "VM %s: deskpool-logoff-user failed (%s)", vm, dp_err_msg(&qerr));
        return qga_error_is_unknown_command(dp_err_msg(&qerr)) ? POOL_GUEST_NO_COMMAND : -1;
    }
    int ended = qga_logoff_ended(r);
    json_decref(r);
    if (ended < 0)
        dp_err_set(err, "VM %s: deskpool-logoff-user answered without an \"ended\" count", vm);
    return ended;
}

static const char *answer_name(int a)
{
    switch (a) {
    case POOL_GUEST_GONE:
        return "logged off";
    case POOL_GUEST_DISCONNECTED:
        return "logged on, disconnected";
    case POOL_GUEST_ACTIVE:
        return "logged on, connected";
    case POOL_GUEST_LOGGED_ON:
        return "logged on";
    default:
        return "no answer";
    }
}

static void audit(struct db *db, const char *action, const struct db_session *s, const char *vm,
                  const char *account, const char *outcome)
{
    char obj[64], sid[24];
    snprintf(obj, sizeof obj, "session:%lld", (long long)s->id);
    snprintf(sid, sizeof sid, "%lld", (long long)s->id);
    const char *kv[] = {"user", s->user, "vm", vm, "account", account, "outcome", outcome};
    struct dp_err err = {0};
    if (db_audit_add_kv(db, action, obj, kv, 4, &err) != DB_OK)
        log_warn("session %s: audit event %s not written: %s", sid, action, dp_err_msg(&err));
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The guest's answer about account, asked again while it shows the user connected (the
 * gateway says the connection ended: the guest may not have caught up). */
static int ask(struct pool_mgr *m, const char *vm, const char *account, struct dp_err *err)
{
    int (*fn)(struct hv *, const char *, const char *, int, struct dp_err *) =
        m->cfg.guest_user ? m->cfg.guest_user : guest_user_qga;
    uint64_t deadline = dp_now_ms() + (uint64_t)guest_timeout_ms(m);
    for (;;) {
        uint64_t now = dp_now_ms();
        int left = now < deadline ? (int)(deadline - now) : 1;
        dp_err_clear(err);
        int a = fn(m->hv, vm, account, left, err);
        if (a != POOL_GUEST_ACTIVE || dp_now_ms() + RECHECK_MS >= deadline)
            return a;
        sleep_ms(RECHECK_MS);
    }
}

void job_guest_check(struct pool_mgr *m, struct db *db, const struct job *j)
{
    struct db_vm vm;
    struct db_session s;
    /* Only while the session and its VM are still disconnected: a reconnect or a logoff
     * since then has settled it. */
    if (db_vm_get_by_id(db, j->vm_id, &vm, NULL) != DB_OK || vm.state != VM_DISCONNECTED ||
        db_session_get(db, j->session_id, &s, NULL) != DB_OK ||
        s.state != DB_SESSION_DISCONNECTED || s.vm_id != vm.id)
        return;
    struct dp_err err = {0};
    int a = ask(m, vm.name, j->account, &err);
    struct db_session now;
    int got = db_session_get(db, s.id, &now, NULL) == DB_OK;
    if (!got || now.state != DB_SESSION_DISCONNECTED) {
        /* Reconnected or logged off while the guest was asked: that settled it. */
        log_debug("session %lld of %s on %s: %s meanwhile; the guest's answer (%s) is moot",
                  (long long)s.id, s.user, vm.name, got ? db_session_state_name(now.state) : "gone",
                  answer_name(a));
        return;
    }
    if (a < 0) {
        log_warn("session %lld of %s on %s: cannot tell whether the user logged off (%s); the "
                 "VM stays theirs until the pool's disconnect timeout",
                 (long long)s.id, s.user, vm.name, dp_err_msg(&err));
        audit(db, "session.guest_check", &s, vm.name, j->account,
              "the guest agent did not answer: the disconnect timeout applies");
        return;
    }
    if (a != POOL_GUEST_GONE) {
        log_info("session %lld of %s on %s: disconnected, the guest keeps the user's session "
                 "(%s); the VM stays theirs until the pool's disconnect timeout",
                 (long long)s.id, s.user, vm.name, answer_name(a));
        audit(db, "session.guest_check", &s, vm.name, j->account, answer_name(a));
        return;
    }
    audit(db, "session.guest_check", &s, vm.name, j->account, answer_name(a));
    /* Under the pool's lock, as a desktop request decides: the session must still be the
     * disconnected one the guest was asked about. */
    struct pool_rt *rt = pm_rt(m, vm.pool_id);
    pthread_mutex_lock(&rt->lock);
    int rc = DB_ECONFLICT;
    if (db_session_get(db, s.id, &now, &err) == DB_OK && now.state == DB_SESSION_DISCONNECTED)
        rc = pool_logoff_guest_gone(m, db, &now, "logoff (the guest reports the user gone)", &err);
    pthread_mutex_unlock(&rt->lock);
    if (rc != DB_OK && rc != DB_ECONFLICT)
        log_warn("session %lld of %s on %s: the user logged off in the guest, but the session "
                 "could not be ended (%s); the disconnect timeout will end it",
                 (long long)s.id, s.user, vm.name, dp_err_msg(&err));
}

void job_guest_logoff(struct pool_mgr *m, struct db *db, const struct job *j)
{
    struct db_vm vm;
    struct db_session s, live;
    if (db_vm_get_by_id(db, j->vm_id, &vm, NULL) != DB_OK ||
        db_session_get(db, j->session_id, &s, NULL) != DB_OK)
        return;
    /* A VM that stopped, or is being refreshed or deleted, has no guest session left. */
    if (vm.state != VM_READY && !vm_state_holds_user(vm.state))
        return;
    /* A newer session of the same account on this VM in use would be ended too. Requests
     * run this job before they hand the VM out, so this is a safety net. */
    if (db_session_on_vm(db, vm.id, &live, NULL) == DB_OK && live.id != s.id &&
        vm.state == VM_IN_USE && strcmp(guest_account(m, &live), j->account) == 0) {
        log_warn("VM %s: the guest logoff of session %lld was not done: %s is using the VM "
                 "again (session %lld)",
                 vm.name, (long long)s.id, live.user, (long long)live.id);
        return;
    }
    int (*fn)(struct hv *, const char *, const char *, int, struct dp_err *) =
        m->cfg.guest_logoff ? m->cfg.guest_logoff : guest_logoff_qga;
    struct dp_err err = {0};
    int ended = fn(m->hv, vm.name, j->account, guest_timeout_ms(m), &err);
    char outcome[160];
    if (ended == POOL_GUEST_NO_COMMAND) {
        log_warn("VM %s: its guest agent has no deskpool-logoff-user (an older template), so "
                 "%s's guest session was not ended and their next login may re-attach to it; "
                 "rebuild the template to get the command",
                 vm.name, j->account);
        snprintf(outcome, sizeof outcome, "the guest agent lacks deskpool-logoff-user");
    } else if (ended < 0) {
        log_warn("VM %s: %s's guest session was not ended (%s); their next login may "
                 "re-attach to it",
                 vm.name, j->account, dp_err_msg(&err));
        snprintf(outcome, sizeof outcome, "failed: %.140s", dp_err_msg(&err));
    } else {
        log_info("VM %s: ended %d guest session(s) of %s (session %lld ended)", vm.name, ended,
                 j->account, (long long)s.id);
        snprintf(outcome, sizeof outcome, "%d guest session(s) ended", ended);
    }
    audit(db, "session.guest_logoff", &s, vm.name, j->account, outcome);
}
