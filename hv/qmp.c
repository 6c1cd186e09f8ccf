/* SPDX-License-Identifier: Apache-2.0 */
#include "qmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "err.h"
#include "files.h"
#include "jsonchan.h"
#include "jsonwire.h"
#include "log.h"

enum qmp_state { QMP_GREETING, QMP_CAPABILITIES, QMP_READY, QMP_DEAD };

/* A command sent and not yet answered. cb == NULL marks our own qmp_capabilities. */
struct qmp_cmd {
    struct qmp_cmd *next;
    struct qmp_client *c;
    json_int_t id;
    char name[64];
    int timeout_ms;
    struct event *timer;
    qmp_reply_fn cb;
    void *arg;
};

struct qmp_client {
    struct event_base *base;
    struct bufferevent *bev;
    struct event *handshake_timer;
    int handshake_ms;
    struct jsonwire wire;
    enum qmp_state state;
    json_int_t next_id;
    struct qmp_cmd *pending;
    qmp_status_fn status_cb;
    qmp_event_fn event_cb;
    void *arg;
    /* A callback of ours may call qmp_close(): the struct is freed only once none runs. */
    int busy;
    int closed;
    char vm[64];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void destroy(struct qmp_client *c)
{
    free(c);
}

static void enter(struct qmp_client *c)
{
    c->busy++;
}

static void leave(struct qmp_client *c)
{
    if (--c->busy == 0 && c->closed)
        destroy(c);
}

static void cmd_free(struct qmp_cmd *cmd)
{
    if (cmd->timer)
        event_free(cmd->timer);
    free(cmd);
}

static struct qmp_cmd *cmd_take(struct qmp_client *c, json_int_t id)
{
    for (struct qmp_cmd **p = &c->pending; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct qmp_cmd *cmd = *p;
            *p = cmd->next;
            return cmd;
        }
    }
    return NULL;
}

/* Stops all I/O: the socket closes now, whatever the state of the callers above us. */
static void teardown(struct qmp_client *c)
{
    c->state = QMP_DEAD;
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    if (c->handshake_timer) {
        event_free(c->handshake_timer);
        c->handshake_timer = NULL;
    }
}

/*
 * Fails pending commands one at a time, from the list head, so that a qmp_close() run by
 * one of their callbacks finds (and fails) exactly the ones left.
 */
static void fail_pending(struct qmp_client *c, const char *why)
{
    struct qmp_cmd *cmd;
    char msg[1024];
    while ((cmd = c->pending)) {
        c->pending = cmd->next;
        if (cmd->cb) {
            snprintf(msg, sizeof msg, "QMP on %s: no reply to \"%s\": %s", c->path, cmd->name, why);
            cmd->cb(c, NULL, msg, cmd->arg);
        }
        cmd_free(cmd);
    }
}

/* The connection is unusable: fail everything, tell the owner once. */
static void fail(struct qmp_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct qmp_client *c, const char *fmt, ...)
{
    char why[768], msg[1024];
    va_list ap;
    if (c->state == QMP_DEAD)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    teardown(c);
    fail_pending(c, why);
    if (!c->closed && c->status_cb) {
        snprintf(msg, sizeof msg, "QMP on %s: %s", c->path, why);
        c->status_cb(c, msg, c->arg);
    }
}

static void cmd_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qmp_cmd *cmd = arg;
    struct qmp_client *c = cmd->c;
    char msg[1024];

    enter(c);
    cmd_take(c, cmd->id);
    /* A late reply finds no id and is dropped; QEMU may still recover, so the link stays. */
    snprintf(msg, sizeof msg,
             "QMP on %s: no reply to \"%s\" within %d ms; is QEMU hung? (deskpool-hv vm kill %s)",
             c->path, cmd->name, cmd->timeout_ms, c->vm);
    cmd->cb(c, NULL, msg, cmd->arg);
    cmd_free(cmd);
    leave(c);
}

static void handshake_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qmp_client *c = arg;
    enter(c);
    if (c->state == QMP_GREETING)
        fail(c,
             "no greeting within %d ms; QEMU is hung or another client holds its QMP socket "
             "(deskpool-hv vm kill %s)",
             c->handshake_ms, c->vm);
    else
        fail(
            c,
            "no reply to \"qmp_capabilities\" within %d ms; is QEMU hung? (deskpool-hv vm kill %s)",
            c->handshake_ms, c->vm);
    leave(c);
}

/* Writes one command and registers it; cb == NULL for our own qmp_capabilities. */
static int send_cmd(struct qmp_client *c, const char *name, json_t *args, int timeout_ms,
                    qmp_reply_fn cb, void *arg, struct dp_err *err)
{
    struct qmp_cmd *cmd = calloc(1, sizeof *cmd);
    json_t *msg = json_object();
    int rc = -1;

    if (!cmd || !msg) {
        dp_err_set(err, "QMP on %s: out of memory for \"%s\"", c->path, name);
        goto out;
    }
    cmd->c = c;
    cmd->id = c->next_id++;
    snprintf(cmd->name, sizeof cmd->name, "%s", name);
    cmd->timeout_ms = timeout_ms;
    cmd->cb = cb;
    cmd->arg = arg;
    json_object_set_new(msg, "execute", json_string(name));
    if (args)
        json_object_set(msg, "arguments", args);
    json_object_set_new(msg, "id", json_integer(cmd->id));
    if (cb) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        cmd->timer = evtimer_new(c->base, cmd_timeout_cb, cmd);
        if (!cmd->timer || evtimer_add(cmd->timer, &tv) < 0) {
            dp_err_set(err, "QMP on %s: cannot arm the timer for \"%s\"", c->path, name);
            goto out;
        }
    }
    if (jsonchan_send(c->bev, msg) < 0) {
        dp_err_set(err, "QMP on %s: cannot queue \"%s\" (not serializable, or out of memory)",
                   c->path, name);
        goto out;
    }
    /* Oldest first, so a lost connection fails commands in the order they were sent. */
    struct qmp_cmd **tail = &c->pending;
    while (*tail)
        tail = &(*tail)->next;
    *tail = cmd;
    cmd = NULL;
    rc = 0;
out:
    if (cmd)
        cmd_free(cmd);
    json_decref(msg);
    json_decref(args);
    return rc;
}

static void on_greeting(struct qmp_client *c, json_t *msg)
{
    struct dp_err err = {0};
    if (!json_is_object(json_object_get(msg, "QMP"))) {
        fail(c,
             "the first message is not a QMP greeting (no \"QMP\" member); is this the "
             "QMP socket? (deskpool-hv vm status %s)",
             c->vm);
        return;
    }
    c->state = QMP_CAPABILITIES;
    if (send_cmd(c, "qmp_capabilities", NULL, 0, NULL, NULL, &err) < 0)
        fail(c, "%s", dp_err_msg(&err));
}

static void on_capabilities(struct qmp_client *c, json_t *error)
{
    if (error) {
        fail(c, "QEMU refused qmp_capabilities: %s",
             json_string_value(json_object_get(error, "desc")) ?: "no description");
        return;
    }
    c->state = QMP_READY;
    event_free(c->handshake_timer);
    c->handshake_timer = NULL;
    if (c->status_cb)
        c->status_cb(c, NULL, c->arg);
}

static void on_reply(struct qmp_client *c, json_t *msg)
{
    json_t *id = json_object_get(msg, "id");
    json_t *ret = json_object_get(msg, "return");
    json_t *error = json_object_get(msg, "error");
    struct qmp_cmd *cmd;
    char text[1024];

    if (!json_is_integer(id)) {
        /* We never send a command without an id; QEMU answers so only input it cannot parse. */
        log_warn("QMP on %s: reply without our id dropped: %s", c->path,
                 json_string_value(json_object_get(error, "desc")) ?: "(no description)");
        return;
    }
    cmd = cmd_take(c, json_integer_value(id));
    if (!cmd) {
        log_debug("QMP on %s: late reply (id %" JSON_INTEGER_FORMAT ") dropped", c->path,
                  json_integer_value(id));
        return;
    }
    if (!cmd->cb) {
        on_capabilities(c, error);
        cmd_free(cmd);
        return;
    }
    if (error) {
        snprintf(text, sizeof text, "QMP on %s: \"%s\" failed: %s (%s)", c->path, cmd->name,
                 json_string_value(json_object_get(error, "desc")) ?: "no description",
                 json_string_value(json_object_get(error, "class")) ?: "no class");
    }
    cmd->cb(c, error ? NULL : ret, error ? text : NULL, cmd->arg);
    cmd_free(cmd);
}

static void on_message(struct qmp_client *c, json_t *msg)
{
    const char *event = json_string_value(json_object_get(msg, "event"));
    if (c->state == QMP_GREETING)
        on_greeting(c, msg);
    else if (event) {
        if (c->event_cb)
            c->event_cb(c, event, json_object_get(msg, "data"), c->arg);
    } else if (json_object_get(msg, "return") || json_object_get(msg, "error"))
        on_reply(c, msg);
    else
        log_debug("QMP on %s: message that is neither reply nor event dropped", c->path);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct qmp_client *c = arg;
    enter(c);
    while (c->state != QMP_DEAD && !c->closed) {
        json_t *msg;
        enum jsonwire_kind kind = jsonchan_pull(&c->wire, bufferevent_get_input(c->bev), &msg);
        if (kind == JSONWIRE_NEED_MORE)
            break;
        if (kind != JSONWIRE_MESSAGE) {
            fail(c,
                 "QEMU sent something that is not QMP (%s); is this the QMP socket? "
                 "(deskpool-hv vm kill %s)",
                 jsonwire_kind_name(kind), c->vm);
            break;
        }
        on_message(c, msg);
        json_decref(msg);
    }
    leave(c);
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct qmp_client *c = arg;
    enter(c);
    if (what & BEV_EVENT_EOF)
        fail(c, "QEMU closed the socket; did QEMU exit? (deskpool-hv vm status %s)", c->vm);
    else if (what & BEV_EVENT_ERROR)
        fail(c, "socket error: %s; did QEMU exit? (deskpool-hv vm status %s)",
             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), c->vm);
    leave(c);
}

struct qmp_client *qmp_open(struct event_base *base, const char *sock_path, int timeout_ms,
                            qmp_status_fn status_cb, qmp_event_fn event_cb, void *arg,
                            struct dp_err *err)
{
    struct qmp_client *c;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int fd;

    if (timeout_ms <= 0) {
        dp_err_set(err, "QMP on %s: timeout must be > 0 ms (got %d)", sock_path, timeout_ms);
        return NULL;
    }
    jsonchan_ignore_sigpipe();
    fd = jsonchan_connect("QMP", sock_path, err);
    if (fd < 0)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        dp_err_set(err, "QMP on %s: out of memory", sock_path);
        return NULL;
    }
    c->base = base;
    c->handshake_ms = timeout_ms;
    c->next_id = 1;
    c->status_cb = status_cb;
    c->event_cb = event_cb;
    c->arg = arg;
    snprintf(c->path, sizeof c->path, "%s", sock_path);
    jsonchan_vm_name(sock_path, c->vm, sizeof c->vm);
    jsonwire_init(&c->wire, JSONWIRE_MAX_DEFAULT);
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev)
        close(fd);
    else
        bufferevent_setcb(c->bev, read_cb, NULL, bev_event_cb, c);
    c->handshake_timer = evtimer_new(base, handshake_timeout_cb, c);
    if (!c->bev || !c->handshake_timer || evtimer_add(c->handshake_timer, &tv) < 0 ||
        bufferevent_enable(c->bev, EV_READ) < 0) {
        dp_err_set(err, "QMP on %s: cannot set up libevent for the socket", sock_path);
        teardown(c);
        destroy(c);
        return NULL;
    }
    return c;
}

int qmp_execute(struct qmp_client *c, const char *cmd, json_t *args, int timeout_ms,
                qmp_reply_fn reply_cb, void *arg, struct dp_err *err)
{
    if (c->state != QMP_READY) {
        dp_err_set(err, "QMP on %s: cannot send \"%s\": %s", c->path, cmd,
                   c->state == QMP_DEAD ? "the connection is closed; reconnect"
                                        : "the handshake is not finished; wait for status_cb");
        json_decref(args);
        return -1;
    }
    if (timeout_ms <= 0 || !reply_cb || (args && !json_is_object(args))) {
        dp_err_set(err,
                   "QMP on %s: \"%s\" needs a timeout > 0, a reply callback and object "
                   "arguments",
                   c->path, cmd);
        json_decref(args);
        return -1;
    }
    return send_cmd(c, cmd, args, timeout_ms, reply_cb, arg, err);
}

int qmp_is_ready(const struct qmp_client *c)
{
    return c->state == QMP_READY;
}

const char *qmp_path(const struct qmp_client *c)
{
    return c->path;
}

void qmp_close(struct qmp_client *c)
{
    if (!c || c->closed)
        return;
    enter(c);
    c->closed = 1;
    teardown(c);
    fail_pending(c, "the client was closed (qmp_close) first");
    leave(c);
}

/* qmp_call: one command on a private loop. */
struct qmp_call_state {
    struct event_base *base;
    const char *cmd;
    json_t *args;
    uint64_t deadline;
    json_t *ret;
    struct dp_err *err;
    int done;
};

static void call_finish(struct qmp_call_state *st)
{
    st->done = 1;
    event_base_loopbreak(st->base);
}

static void call_reply_cb(struct qmp_client *c, json_t *ret, const char *error, void *arg)
{
    struct qmp_call_state *st = arg;
    if (ret)
        st->ret = json_incref(ret);
    else
        dp_err_set(st->err, "%s", error);
    call_finish(st);
}

static void call_status_cb(struct qmp_client *c, const char *error, void *arg)
{
    struct qmp_call_state *st = arg;
    uint64_t now = dp_now_ms();
    json_t *args = st->args;

    if (st->done)
        return;
    if (error) {
        dp_err_set(st->err, "%s", error);
        call_finish(st);
        return;
    }
    st->args = NULL;
    int left = now < st->deadline ? (int)(st->deadline - now) : 1;
    if (qmp_execute(c, st->cmd, args, left, call_reply_cb, st, st->err) < 0)
        call_finish(st);
}

json_t *qmp_call(const char *sock_path, const char *cmd, json_t *args, int timeout_ms,
                 struct dp_err *err)
{
    struct dp_err local = {0};
    struct qmp_call_state st = {.cmd = cmd, .args = args, .err = err ? err : &local};
    struct qmp_client *c = NULL;

    st.deadline = dp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    st.base = event_base_new();
    if (!st.base) {
        dp_err_set(st.err, "QMP on %s: cannot create an event loop", sock_path);
        goto out;
    }
    c = qmp_open(st.base, sock_path, timeout_ms, call_status_cb, NULL, &st, st.err);
    if (!c)
        goto out;
    while (!st.done && event_base_dispatch(st.base) == 0)
        ;
    if (!st.done)
        dp_err_set(st.err, "QMP on %s: event loop failed during \"%s\"", sock_path, cmd);
out:
    qmp_close(c);
    if (st.base)
        event_base_free(st.base);
    json_decref(st.args);
    return st.ret;
}
