/* SPDX-License-Identifier: Apache-2.0 */
#include "qga.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "err.h"
#include "files.h"
#include "jsonchan.h"
#include "jsonwire.h"
#include "log.h"

/*
 * UNSYNCED: the next command must resync first (start, or after a timeout or shutdown,
 * when a late reply may still be in the pipe). SYNCING: our guest-sync-delimited is out.
 * READY: replies belong to the head of the queue.
 */
enum qga_state { QGA_UNSYNCED, QGA_SYNCING, QGA_READY, QGA_DEAD };

struct qga_cmd {
    struct qga_cmd *next;
    struct qga_client *c;
    json_int_t id;
    char name[64];
    json_t *args; /* held until written */
    int timeout_ms;
    int no_reply; /* guest-shutdown */
    int sent;
    struct event *timer;
    qga_reply_fn cb;
    void *arg;
};

struct qga_client {
    struct event_base *base;
    struct bufferevent *bev;
    struct jsonwire wire;
    enum qga_state state;
    json_int_t sync_id;
    json_int_t shutdown_id; /* last guest-shutdown written: its only reply is an error */
    json_int_t next_id;
    struct qga_cmd *head; /* queue, oldest first; only the head is ever on the wire */
    int busy;             /* as in qmp.c: free only when no callback of ours runs */
    int closed;
    char vm[64];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void enter(struct qga_client *c)
{
    c->busy++;
}

static void leave(struct qga_client *c)
{
    if (--c->busy == 0 && c->closed)
        free(c);
}

static void cmd_free(struct qga_cmd *cmd)
{
    if (cmd->timer)
        event_free(cmd->timer);
    json_decref(cmd->args);
    free(cmd);
}

static void unlink_cmd(struct qga_client *c, struct qga_cmd *cmd)
{
    for (struct qga_cmd **p = &c->head; *p; p = &(*p)->next) {
        if (*p == cmd) {
            *p = cmd->next;
            return;
        }
    }
}

/* Runs a command's callback once and frees it; the command is already off the queue. */
static void complete(struct qga_client *c, struct qga_cmd *cmd, json_t *ret, const char *error)
{
    if (cmd->cb)
        cmd->cb(c, ret, error, cmd->arg);
    cmd_free(cmd);
}

static void teardown(struct qga_client *c)
{
    c->state = QGA_DEAD;
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
}

/* Fails the queue from its head, so a qga_close() from a callback finds the rest. */
static void fail_all(struct qga_client *c, const char *why)
{
    struct qga_cmd *cmd;
    char msg[1024];
    while ((cmd = c->head)) {
        c->head = cmd->next;
        snprintf(msg, sizeof msg, "QGA on %s: \"%s\" failed: %s", c->path, cmd->name, why);
        complete(c, cmd, NULL, msg);
    }
}

static void fail(struct qga_client *c, const char *why)
{
    if (c->state == QGA_DEAD)
        return;
    teardown(c);
    fail_all(c, why);
}

static json_int_t random_id(void)
{
    uint64_t r = 0;
    /* Uniqueness matters, not secrecy: fall back to the clock if getrandom() is short. */
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = dp_now_ms() * 2654435761u;
    /* Positive and within 2^53, so any JSON implementation in a guest keeps it exact. */
    return (json_int_t)(r & ((UINT64_C(1) << 53) - 1)) | 1;
}

static int send_sync(struct qga_client *c)
{
    static const char resync = (char)0xFF;
    json_t *msg;
    int rc;

    c->sync_id = random_id();
    msg = json_pack("{s:s, s:{s:I}}", "execute", "guest-sync-delimited", "arguments", "id",
                    (json_int_t)c->sync_id);
    if (!msg)
        return -1;
    /* The 0xFF byte makes the agent drop whatever half message an earlier client left. */
    rc = bufferevent_write(c->bev, &resync, 1);
    if (rc == 0)
        rc = jsonchan_send(c->bev, msg);
    json_decref(msg);
    if (rc == 0)
        c->state = QGA_SYNCING;
    return rc;
}

static int send_cmd(struct qga_client *c, struct qga_cmd *cmd)
{
    json_t *msg = json_pack("{s:s, s:I}", "execute", cmd->name, "id", (json_int_t)cmd->id);
    int rc;
    if (!msg)
        return -1;
    if (cmd->args)
        json_object_set(msg, "arguments", cmd->args);
    rc = jsonchan_send(c->bev, msg);
    json_decref(msg);
    /* The arguments may hold a password: drop our reference as soon as it is on its way. */
    json_decref(cmd->args);
    cmd->args = NULL;
    cmd->sent = 1;
    return rc;
}

/* Puts the head of the queue on the wire, resynchronising first when needed. */
static void kick(struct qga_client *c)
{
    struct qga_cmd *cmd = c->head;
    if (c->state == QGA_DEAD || !cmd || cmd->sent || c->state == QGA_SYNCING)
        return;
    if (c->state == QGA_UNSYNCED) {
        if (send_sync(c) < 0)
            fail(c, "cannot write to the socket (out of memory?)");
        return;
    }
    if (send_cmd(c, cmd) < 0) {
        fail(c, "cannot write to the socket (out of memory?)");
        return;
    }
    /* No reply will tell us where the agent's stream stands: resync before the next one. */
    if (cmd->no_reply) {
        c->state = QGA_UNSYNCED;
        c->shutdown_id = cmd->id;
    }
}

static void cmd_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qga_cmd *cmd = arg;
    struct qga_client *c = cmd->c;
    char msg[1024];

    enter(c);
    if (cmd == c->head && c->state == QGA_SYNCING)
        snprintf(msg, sizeof msg,
                 "QGA on %s: no answer from the guest agent within %d ms (guest-sync-delimited "
                 "before \"%s\"); is the VM booted and its guest agent running? "
                 "(deskpool-hv vm status %s)",
                 c->path, cmd->timeout_ms, cmd->name, c->vm);
    else if (cmd->sent)
        snprintf(msg, sizeof msg,
                 "QGA on %s: no reply to \"%s\" within %d ms; the guest agent is busy or "
                 "stopped (deskpool-hv vm status %s)",
                 c->path, cmd->name, cmd->timeout_ms, c->vm);
    else
        snprintf(msg, sizeof msg,
                 "QGA on %s: \"%s\" waited %d ms behind earlier commands; the guest agent is "
                 "slow or stopped",
                 c->path, cmd->name, cmd->timeout_ms);
    /* Its reply, or the sync's, may still come: the next command must resync. */
    if (cmd == c->head && c->state != QGA_DEAD && (cmd->sent || c->state == QGA_SYNCING))
        c->state = QGA_UNSYNCED;
    unlink_cmd(c, cmd);
    complete(c, cmd, NULL, msg);
    if (!c->closed)
        kick(c);
    leave(c);
}

static void on_message(struct qga_client *c, json_t *msg)
{
    struct qga_cmd *cmd = c->head;
    json_t *id = json_object_get(msg, "id");
    json_t *ret = json_object_get(msg, "return");
    json_t *error = json_object_get(msg, "error");
    char text[1024];

    /* Too late for the caller, who was told "sent"; an admin should still learn why. */
    if (error && json_is_integer(id) && json_integer_value(id) == c->shutdown_id) {
        log_warn("QGA on %s: the guest refused guest-shutdown: %s", c->path,
                 json_string_value(json_object_get(error, "desc")) ?: "no description");
        return;
    }
    if (c->state == QGA_SYNCING) {
        if (json_is_integer(ret) && json_integer_value(ret) == c->sync_id) {
            c->state = QGA_READY;
            kick(c);
        } else {
            log_debug("QGA on %s: discarded a stale message while resynchronising", c->path);
        }
        return;
    }
    if (c->state != QGA_READY || !cmd || !cmd->sent || cmd->no_reply || (!ret && !error) ||
        (id && !(json_is_integer(id) && json_integer_value(id) == cmd->id))) {
        log_debug("QGA on %s: discarded a message that answers nothing we wait for", c->path);
        return;
    }
    c->head = cmd->next;
    if (error)
        snprintf(text, sizeof text, "QGA on %s: \"%s\" failed: %s (%s)", c->path, cmd->name,
                 json_string_value(json_object_get(error, "desc")) ?: "no description",
                 json_string_value(json_object_get(error, "class")) ?: "no class");
    complete(c, cmd, error ? NULL : ret, error ? text : NULL);
    if (!c->closed)
        kick(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct qga_client *c = arg;
    enter(c);
    while (c->state != QGA_DEAD && !c->closed) {
        json_t *msg;
        enum jsonwire_kind kind = jsonchan_pull(&c->wire, bufferevent_get_input(c->bev), &msg);
        if (kind == JSONWIRE_NEED_MORE)
            break;
        if (kind == JSONWIRE_MESSAGE) {
            on_message(c, msg);
            json_decref(msg);
        } else if (c->state == QGA_READY) {
            /* The agent restarted mid-stream, or the guest writes to the port: resync next. */
            log_warn("QGA on %s: the guest sent a %s; resynchronising before the next command",
                     c->path, jsonwire_kind_name(kind));
            if (!c->head || !c->head->sent)
                c->state = QGA_UNSYNCED;
        }
        /* Before sync, junk is expected: leftovers of an earlier client or of a reboot. */
    }
    leave(c);
}

/* Output drained: a guest-shutdown that was written is as done as it will ever report. */
static void write_cb(struct bufferevent *bev, void *arg)
{
    struct qga_client *c = arg;
    struct qga_cmd *cmd = c->head;
    if (!cmd || !cmd->sent || !cmd->no_reply)
        return;
    enter(c);
    c->head = cmd->next;
    complete(c, cmd, NULL, NULL);
    if (!c->closed)
        kick(c);
    leave(c);
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct qga_client *c = arg;
    char why[512];
    enter(c);
    if (what & BEV_EVENT_EOF)
        snprintf(why, sizeof why,
                 "QEMU closed the guest agent socket; did QEMU exit? (deskpool-hv vm status %s)",
                 c->vm);
    else
        snprintf(why, sizeof why, "socket error: %s; did QEMU exit? (deskpool-hv vm status %s)",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), c->vm);
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        fail(c, why);
    leave(c);
}

struct qga_client *qga_open(struct event_base *base, const char *sock_path, struct dp_err *err)
{
    struct qga_client *c;
    int fd;

    jsonchan_ignore_sigpipe();
    fd = jsonchan_connect("QGA", sock_path, err);
    if (fd < 0)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        dp_err_set(err, "QGA on %s: out of memory", sock_path);
        return NULL;
    }
    c->base = base;
    c->next_id = 1;
    snprintf(c->path, sizeof c->path, "%s", sock_path);
    jsonchan_vm_name(sock_path, c->vm, sizeof c->vm);
    jsonwire_init(&c->wire, JSONWIRE_MAX_DEFAULT);
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        close(fd);
    } else {
        bufferevent_setcb(c->bev, read_cb, write_cb, bev_event_cb, c);
    }
    if (!c->bev || bufferevent_enable(c->bev, EV_READ | EV_WRITE) < 0) {
        dp_err_set(err, "QGA on %s: cannot set up libevent for the socket", sock_path);
        teardown(c);
        free(c);
        return NULL;
    }
    return c;
}

static int enqueue(struct qga_client *c, const char *name, json_t *args, int timeout_ms,
                   int no_reply, qga_reply_fn cb, void *arg, struct dp_err *err)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    struct qga_cmd *cmd;

    if (c->state == QGA_DEAD) {
        dp_err_set(err, "QGA on %s: cannot send \"%s\": the connection is closed; reconnect",
                   c->path, name);
        json_decref(args);
        return -1;
    }
    if (timeout_ms <= 0 || (!cb && !no_reply) || (args && !json_is_object(args))) {
        dp_err_set(err,
                   "QGA on %s: \"%s\" needs a timeout > 0, a reply callback and object "
                   "arguments",
                   c->path, name);
        json_decref(args);
        return -1;
    }
    cmd = calloc(1, sizeof *cmd);
    if (!cmd || !(cmd->timer = evtimer_new(c->base, cmd_timeout_cb, cmd)) ||
        evtimer_add(cmd->timer, &tv) < 0) {
        dp_err_set(err, "QGA on %s: cannot queue \"%s\" (out of memory)", c->path, name);
        if (cmd)
            cmd_free(cmd);
        json_decref(args);
        return -1;
    }
    cmd->c = c;
    cmd->id = c->next_id++;
    snprintf(cmd->name, sizeof cmd->name, "%s", name);
    cmd->args = args;
    cmd->timeout_ms = timeout_ms;
    cmd->no_reply = no_reply;
    cmd->cb = cb;
    cmd->arg = arg;
    struct qga_cmd **tail = &c->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = cmd;
    /* Writing only queues bytes in libevent; replies and callbacks come from the loop. */
    kick(c);
    return 0;
}

int qga_execute(struct qga_client *c, const char *cmd, json_t *args, int timeout_ms,
                qga_reply_fn reply_cb, void *arg, struct dp_err *err)
{
    return enqueue(c, cmd, args, timeout_ms, 0, reply_cb, arg, err);
}

int qga_shutdown(struct qga_client *c, const char *mode, int timeout_ms, qga_reply_fn reply_cb,
                 void *arg, struct dp_err *err)
{
    json_t *args = json_pack("{s:s}", "mode", mode ? mode : "powerdown");
    return enqueue(c, "guest-shutdown", args, timeout_ms, 1, reply_cb, arg, err);
}

void qga_close(struct qga_client *c)
{
    if (!c || c->closed)
        return;
    enter(c);
    c->closed = 1;
    teardown(c);
    fail_all(c, "the client was closed (qga_close) first");
    leave(c);
}

/* qga_call: one command on a private loop. */
struct qga_call_state {
    struct event_base *base;
    json_t *ret;
    struct dp_err *err;
    int done;
};

static void call_reply_cb(struct qga_client *c, json_t *ret, const char *error, void *arg)
{
    struct qga_call_state *st = arg;
    if (error)
        dp_err_set(st->err, "%s", error);
    else
        st->ret = ret ? json_incref(ret) : json_null();
    st->done = 1;
    event_base_loopbreak(st->base);
}

json_t *qga_call(const char *sock_path, const char *cmd, json_t *args, int timeout_ms,
                 struct dp_err *err)
{
    struct dp_err local = {0};
    struct qga_call_state st = {.err = err ? err : &local};
    struct qga_client *c = NULL;
    int rc;

    st.base = event_base_new();
    if (!st.base) {
        dp_err_set(st.err, "QGA on %s: cannot create an event loop", sock_path);
        json_decref(args);
        return NULL;
    }
    c = qga_open(st.base, sock_path, st.err);
    if (!c) {
        json_decref(args);
        goto out;
    }
    if (strcmp(cmd, "guest-shutdown") == 0) {
        const char *mode = json_string_value(json_object_get(args, "mode"));
        rc = qga_shutdown(c, mode, timeout_ms, call_reply_cb, &st, st.err);
        json_decref(args);
    } else {
        rc = qga_execute(c, cmd, args, timeout_ms, call_reply_cb, &st, st.err);
    }
    if (rc < 0)
        goto out;
    while (!st.done && event_base_dispatch(st.base) == 0)
        ;
    if (!st.done)
        dp_err_set(st.err, "QGA on %s: event loop failed during \"%s\"", sock_path, cmd);
out:
    qga_close(c);
    event_base_free(st.base);
    return st.ret;
}

json_t *qga_args_set_user_password(const char *user, const char *password)
{
    size_t len, cap;
    unsigned char *b64;
    json_t *args;

    if (!user || !*user || !password || (len = strlen(password)) > 4096)
        return NULL;
    /* EVP_EncodeBlock writes 4 bytes per 3 (rounded up) plus a NUL. */
    cap = 4 * ((len + 2) / 3) + 1;
    b64 = malloc(cap);
    if (!b64)
        return NULL;
    EVP_EncodeBlock(b64, (const unsigned char *)password, (int)len);
    args =
        json_pack("{s:s, s:s, s:b}", "username", user, "password", (const char *)b64, "crypted", 0);
    explicit_bzero(b64, cap);
    free(b64);
    return args;
}

json_t *qga_args_set_time(int64_t ns)
{
    if (ns < 0)
        return json_object();
    return json_pack("{s:I}", "time", (json_int_t)ns);
}

json_t *qga_args_set_host_name(const char *host_name)
{
    if (!host_name || !*host_name)
        return NULL;
    return json_pack("{s:s}", "host-name", host_name);
}

int qga_first_ipv4(const json_t *ifaces, char *out, size_t n)
{
    size_t i, j;
    json_t *iface, *addr;

    json_array_foreach(ifaces, i, iface)
    {
        json_array_foreach(json_object_get(iface, "ip-addresses"), j, addr)
        {
            const char *type = json_string_value(json_object_get(addr, "ip-address-type"));
            const char *ip = json_string_value(json_object_get(addr, "ip-address"));
            if (!type || !ip || strcmp(type, "ipv4") != 0)
                continue;
            if (strncmp(ip, "127.", 4) == 0 || strncmp(ip, "169.254.", 8) == 0)
                continue;
            if ((size_t)snprintf(out, n, "%s", ip) >= n)
                return -1;
            return 0;
        }
    }
    return -1;
}

json_t *qga_args_logoff_user(const char *user)
{
    if (!user || !*user)
        return NULL;
    return json_pack("{s:s}", "user", user);
}

static void user_fill(const json_t *e, struct qga_user *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->user, sizeof out->user, "%s",
             json_string_value(json_object_get(e, "user")) ?: "");
    snprintf(out->domain, sizeof out->domain, "%s",
             json_string_value(json_object_get(e, "domain")) ?: "");
    out->login_time = json_number_value(json_object_get(e, "login-time"));
    json_t *sid = json_object_get(e, "deskpool-session-id");
    out->session_id = json_is_integer(sid) ? (int64_t)json_integer_value(sid) : 0;
    const char *st = json_string_value(json_object_get(e, "deskpool-state"));
    out->state = !st                               ? QGA_USER_UNKNOWN
                 : strcmp(st, "active") == 0       ? QGA_USER_ACTIVE
                 : strcmp(st, "disconnected") == 0 ? QGA_USER_DISCONNECTED
                                                   : QGA_USER_UNKNOWN;
}

int qga_users_find(const json_t *users, const char *user, struct qga_user *out)
{
    size_t i;
    json_t *e;
    int found = 0;
    struct qga_user u;

    if (!json_is_array(users))
        return -1;
    json_array_foreach(users, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "user"));
        if (!name || !user || strcasecmp(name, user) != 0)
            continue;
        user_fill(e, &u);
        /* The first match, unless a later one is the disconnected session. */
        if (!found || u.state == QGA_USER_DISCONNECTED) {
            if (out)
                *out = u;
            if (found || u.state == QGA_USER_DISCONNECTED)
                return 1;
            found = 1;
        }
    }
    return found;
}

int qga_logoff_ended(const json_t *ret)
{
    json_t *n = json_object_get(ret, "ended");
    if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > INT32_MAX)
        return -1;
    return (int)json_integer_value(n);
}

int qga_error_is_unknown_command(const char *error)
{
    /* on_message() writes the agent's error class in parentheses at the end. */
    return error && strstr(error, "(CommandNotFound)") != NULL;
}
