/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QGA client against a fake guest agent: a thread serves a unix socket the way QEMU's
 * virtio-serial chardev does and plays a script (junk in the pipe, stale replies, the
 * 0xFF-delimited sync reply, silence, no reply to guest-shutdown, hang-up).
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "err.h"
#include "files.h"
#include "qga.h"

/* ---- the fake agent ---- */

struct peer {
    char dir[64];
    char vmdir[96];
    char path[128];
    int lfd;
    int fd;
    char buf[8192];
    size_t len;
    int resets; /* 0xFF bytes the client sent */
    void (*script)(struct peer *p);
    pthread_t thread;
};

static void peer_write(struct peer *p, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void peer_writef(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void peer_writef(struct peer *p, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    peer_write(p, line, (size_t)n);
}

/* One request; 0xFF bytes in front of it are counted and dropped, as the agent does. */
static json_t *peer_read(struct peer *p)
{
    for (;;) {
        while (p->len > 0 && (unsigned char)p->buf[0] == 0xFF) {
            p->resets++;
            memmove(p->buf, p->buf + 1, --p->len);
        }
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf) + 1;
            json_t *v = json_loadb(p->buf, n, 0, NULL);
            memmove(p->buf, p->buf + n, p->len - n);
            p->len -= n;
            return v;
        }
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, 5000) <= 0)
            return NULL;
        ssize_t r = read(p->fd, p->buf + p->len, sizeof p->buf - p->len);
        if (r <= 0)
            return NULL;
        p->len += (size_t)r;
    }
}

/* Reads a request named cmd; returns it (caller decrefs). */
static json_t *peer_expect(struct peer *p, const char *cmd)
{
    json_t *v = peer_read(p);
    ck_assert_msg(v != NULL, "no %s request", cmd);
    ck_assert_str_eq(json_string_value(json_object_get(v, "execute")), cmd);
    return v;
}

static json_int_t peer_expect_id(struct peer *p, const char *cmd)
{
    json_t *v = peer_expect(p, cmd);
    json_int_t id = json_integer_value(json_object_get(v, "id"));
    ck_assert_int_gt(id, 0);
    json_decref(v);
    return id;
}

/* Reads a guest-sync-delimited, checks the reset byte came first, returns its id. */
static json_int_t peer_expect_sync(struct peer *p)
{
    int resets = p->resets;
    json_t *v = peer_expect(p, "guest-sync-delimited");
    ck_assert_int_eq(p->resets, resets + 1);
    json_int_t id = json_integer_value(json_object_get(json_object_get(v, "arguments"), "id"));
    json_decref(v);
    return id;
}

static void peer_sync_reply(struct peer *p, json_int_t id)
{
    peer_writef(p, "\xff{\"return\": %" JSON_INTEGER_FORMAT "}\n", id);
}

static void peer_wait_close(struct peer *p)
{
    json_t *v;
    while ((v = peer_read(p)))
        json_decref(v);
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    struct pollfd pfd = {.fd = p->lfd, .events = POLLIN};
    if (poll(&pfd, 1, 5000) == 1) {
        p->fd = accept(p->lfd, NULL, NULL);
        if (p->fd >= 0) {
            p->script(p);
            close(p->fd);
        }
    }
    return NULL;
}

static struct peer *peer_start(void (*script)(struct peer *p))
{
    struct peer *p = calloc(1, sizeof *p);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(p->dir, "/tmp/dp-qga-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    snprintf(p->vmdir, sizeof p->vmdir, "%s/vm9", p->dir);
    ck_assert_int_eq(mkdir(p->vmdir, 0700), 0);
    snprintf(p->path, sizeof p->path, "%s/qga.sock", p->vmdir);
    strcpy(sa.sun_path, p->path);
    p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(p->lfd, 4), 0);
    p->fd = -1;
    p->script = script;
    ck_assert_int_eq(pthread_create(&p->thread, NULL, peer_main, p), 0);
    return p;
}

static void peer_stop(struct peer *p)
{
    pthread_join(p->thread, NULL);
    close(p->lfd);
    unlink(p->path);
    rmdir(p->vmdir);
    rmdir(p->dir);
    free(p);
}

/* ---- the client side ---- */

struct seen {
    struct event_base *base;
    struct qga_client *c;
    int replies;
    char order[64];
    json_t *ret[4];
    int ok[4];
    char error[4][1024];
};

struct tag {
    struct seen *s;
    int n;
};

static void on_reply(struct qga_client *c, json_t *ret, const char *error, void *arg)
{
    struct tag *t = arg;
    char n[8];
    snprintf(n, sizeof n, "%d,", t->n);
    strcat(t->s->order, n);
    if (ret)
        t->s->ret[t->n] = json_incref(ret);
    t->s->ok[t->n] = error == NULL;
    if (error)
        snprintf(t->s->error[t->n], sizeof t->s->error[t->n], "%s", error);
    t->s->replies++;
    event_base_loopbreak(t->s->base);
}

#define RUN_UNTIL(s, cond)                                                                         \
    do {                                                                                           \
        uint64_t deadline_ = dp_now_ms() + 8000;                                                   \
        while (!(cond) && dp_now_ms() < deadline_) {                                               \
            struct timeval tv_ = {0, 50000};                                                       \
            event_base_loopexit((s)->base, &tv_);                                                  \
            event_base_dispatch((s)->base);                                                        \
        }                                                                                          \
        ck_assert_msg((cond), "timed out waiting for " #cond);                                     \
    } while (0)

static void open_client(struct seen *s, struct peer *p)
{
    struct dp_err err = {0};
    memset(s, 0, sizeof *s);
    s->base = event_base_new();
    s->c = qga_open(s->base, p->path, &err);
    ck_assert_msg(s->c != NULL, "%s", dp_err_msg(&err));
}

static void close_client(struct seen *s)
{
    qga_close(s->c);
    for (int i = 0; i < 4; i++)
        json_decref(s->ret[i]);
    event_base_free(s->base);
}

/* ---- scripts and tests ---- */

static void script_junk_then_sync(struct peer *p)
{
    json_int_t sync = peer_expect_sync(p);
    /* What an earlier client left: a cut reply, a whole stale one, a stale sync reply. */
    peer_writef(
        p,
        "t\": {\"version\": \"7.2\"}}\n{\"return\": {}}\n\xff{\"return\": %" JSON_INTEGER_FORMAT
        "}\n{\"return\": [{\"user\"",
        sync + 1);
    peer_sync_reply(p, sync);
    json_int_t id = peer_expect_id(p, "guest-ping");
    peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\n", id);
    id = peer_expect_id(p, "guest-info");
    peer_writef(p, "{\"return\": {\"version\": \"7.2.0\"}, \"id\": %" JSON_INTEGER_FORMAT "}\n",
                id);
    peer_wait_close(p);
}

START_TEST(test_resync_discards_junk)
{
    struct peer *p = peer_start(script_junk_then_sync);
    struct seen s;
    struct tag t[2];
    open_client(&s, p);
    t[0] = (struct tag){&s, 0};
    t[1] = (struct tag){&s, 1};
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 3000, on_reply, &t[0], NULL), 0);
    ck_assert_int_eq(qga_execute(s.c, "guest-info", NULL, 3000, on_reply, &t[1], NULL), 0);
    ck_assert_int_eq(s.replies, 0);
    RUN_UNTIL(&s, s.replies == 2);
    ck_assert_str_eq(s.order, "0,1,");
    ck_assert_msg(s.ok[0] && json_is_object(s.ret[0]) && json_object_size(s.ret[0]) == 0, "%s",
                  s.error[0]);
    ck_assert_str_eq(json_string_value(json_object_get(s.ret[1], "version")), "7.2.0");
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_absent(struct peer *p)
{
    /* The guest has not opened the port: QEMU accepts, nobody ever answers. */
    peer_wait_close(p);
}

START_TEST(test_absent_agent_times_out)
{
    struct peer *p = peer_start(script_absent);
    struct seen s;
    struct tag t0;
    open_client(&s, p);
    t0 = (struct tag){&s, 0};
    uint64_t t = dp_now_ms();
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 300, on_reply, &t0, NULL), 0);
    RUN_UNTIL(&s, s.replies == 1);
    ck_assert_uint_ge(dp_now_ms() - t, 290);
    ck_assert_uint_le(dp_now_ms() - t, 1500);
    ck_assert(!s.ok[0]);
    ck_assert_msg(strstr(s.error[0], "no answer from the guest agent within 300 ms") &&
                      strstr(s.error[0], "deskpool-hv vm status vm9"),
                  "%s", s.error[0]);
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_slow_then_resync(struct peer *p)
{
    json_int_t sync1 = peer_expect_sync(p);
    peer_sync_reply(p, sync1);
    json_int_t slow = peer_expect_id(p, "guest-get-users");
    /* Too slow: the client gives up, then resyncs before the next command. */
    json_int_t sync2 = peer_expect_sync(p);
    ck_assert_int_ne(sync1, sync2);
    peer_writef(p, "{\"return\": [{\"user\": \"late\"}], \"id\": %" JSON_INTEGER_FORMAT "}\n",
                slow);
    peer_sync_reply(p, sync2);
    json_int_t id = peer_expect_id(p, "guest-get-users");
    ck_assert_int_ne(id, slow);
    peer_writef(p,
                "{\"return\": [{\"user\": \"alice\", \"login-time\": 1.5}], \"id\": "
                "%" JSON_INTEGER_FORMAT "}\n",
                id);
    peer_wait_close(p);
}

START_TEST(test_timeout_then_resync)
{
    struct peer *p = peer_start(script_slow_then_resync);
    struct seen s;
    struct tag t[2];
    open_client(&s, p);
    t[0] = (struct tag){&s, 0};
    t[1] = (struct tag){&s, 1};
    ck_assert_int_eq(qga_execute(s.c, "guest-get-users", NULL, 300, on_reply, &t[0], NULL), 0);
    RUN_UNTIL(&s, s.replies == 1);
    ck_assert_msg(strstr(s.error[0], "no reply to \"guest-get-users\" within 300 ms"), "%s",
                  s.error[0]);
    ck_assert_int_eq(qga_execute(s.c, "guest-get-users", NULL, 3000, on_reply, &t[1], NULL), 0);
    RUN_UNTIL(&s, s.replies == 2);
    ck_assert_msg(s.ok[1], "%s", s.error[1]);
    /* The late answer to the first one must not pass for the second one's. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(s.ret[1], 0), "user")),
                     "alice");
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_shutdown_and_password(struct peer *p)
{
    json_int_t sync = peer_expect_sync(p);
    peer_sync_reply(p, sync);
    json_t *v = peer_expect(p, "guest-set-user-password");
    json_t *args = json_object_get(v, "arguments");
    ck_assert_str_eq(json_string_value(json_object_get(args, "username")), "desk");
    ck_assert_str_eq(json_string_value(json_object_get(args, "password")), "czNjcjN0IQ==");
    ck_assert(json_is_false(json_object_get(args, "crypted")));
    json_decref(v);
    /* An agent that does not echo ids: the reply still belongs to the one in flight. */
    peer_writef(p, "{\"return\": {}}\n");
    v = peer_expect(p, "guest-shutdown");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(v, "arguments"), "mode")),
                     "reboot");
    json_decref(v);
    /* No reply to guest-shutdown; the next command must resync first. */
    sync = peer_expect_sync(p);
    peer_sync_reply(p, sync);
    json_int_t id = peer_expect_id(p, "guest-ping");
    peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\n", id);
    peer_wait_close(p);
}

START_TEST(test_password_and_shutdown)
{
    struct peer *p = peer_start(script_shutdown_and_password);
    struct seen s;
    struct tag t[3];
    open_client(&s, p);
    for (int i = 0; i < 3; i++)
        t[i] = (struct tag){&s, i};
    ck_assert_int_eq(qga_execute(s.c, "guest-set-user-password",
                                 qga_args_set_user_password("desk", "s3cr3t!"), 3000, on_reply,
                                 &t[0], NULL),
                     0);
    ck_assert_int_eq(qga_shutdown(s.c, "reboot", 3000, on_reply, &t[1], NULL), 0);
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 3000, on_reply, &t[2], NULL), 0);
    RUN_UNTIL(&s, s.replies == 3);
    ck_assert_str_eq(s.order, "0,1,2,");
    ck_assert_msg(s.ok[0], "%s", s.error[0]);
    ck_assert_msg(s.ok[1] && s.ret[1] == NULL, "%s", s.error[1]);
    ck_assert_msg(s.ok[2], "%s", s.error[2]);
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_hang_up(struct peer *p)
{
    json_int_t sync = peer_expect_sync(p);
    peer_sync_reply(p, sync);
    peer_expect_id(p, "guest-info");
    /* QEMU exits with the command unanswered and another queued. */
}

START_TEST(test_hang_up_fails_queue)
{
    struct peer *p = peer_start(script_hang_up);
    struct seen s;
    struct tag t[2];
    struct dp_err err = {0};
    open_client(&s, p);
    t[0] = (struct tag){&s, 0};
    t[1] = (struct tag){&s, 1};
    ck_assert_int_eq(qga_execute(s.c, "guest-info", NULL, 5000, on_reply, &t[0], NULL), 0);
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 5000, on_reply, &t[1], NULL), 0);
    uint64_t t0 = dp_now_ms();
    RUN_UNTIL(&s, s.replies == 2);
    ck_assert_uint_le(dp_now_ms() - t0, 2000);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(strstr(s.error[i], "QEMU closed the guest agent socket"), "%s", s.error[i]);
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 100, on_reply, &t[0], &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "reconnect"));
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_flood_before_sync(struct peer *p)
{
    char chunk[4096];
    json_int_t sync = peer_expect_sync(p);
    /* 2 MiB of noise and an endless half message: more than one message may be, in all. */
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 256; i++)
        peer_write(p, chunk, sizeof chunk);
    peer_write(p, "{\"a\": \"", 7);
    for (int i = 0; i < 300; i++)
        peer_write(p, chunk, sizeof chunk);
    peer_sync_reply(p, sync);
    json_int_t id = peer_expect_id(p, "guest-ping");
    peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\n", id);
    peer_wait_close(p);
}

START_TEST(test_flood_before_sync)
{
    struct peer *p = peer_start(script_flood_before_sync);
    struct seen s;
    struct tag t0;
    open_client(&s, p);
    t0 = (struct tag){&s, 0};
    ck_assert_int_eq(qga_execute(s.c, "guest-ping", NULL, 5000, on_reply, &t0, NULL), 0);
    RUN_UNTIL(&s, s.replies == 1);
    ck_assert_msg(s.ok[0], "%s", s.error[0]);
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_ping_once(struct peer *p)
{
    json_int_t sync = peer_expect_sync(p);
    peer_sync_reply(p, sync);
    json_t *v = peer_read(p);
    ck_assert_ptr_nonnull(v);
    const char *cmd = json_string_value(json_object_get(v, "execute"));
    if (strcmp(cmd, "guest-ping") == 0)
        peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\n",
                    json_integer_value(json_object_get(v, "id")));
    json_decref(v);
    peer_wait_close(p);
}

START_TEST(test_call_sync)
{
    struct dp_err err = {0};
    struct peer *p = peer_start(script_ping_once);
    json_t *ret = qga_call(p->path, "guest-ping", NULL, 2000, &err);
    ck_assert_msg(json_is_object(ret), "%s", dp_err_msg(&err));
    json_decref(ret);
    peer_stop(p);

    p = peer_start(script_ping_once);
    ret = qga_call(p->path, "guest-shutdown", json_pack("{s:s}", "mode", "halt"), 2000, &err);
    ck_assert_msg(json_is_null(ret), "%s", dp_err_msg(&err));
    json_decref(ret);
    peer_stop(p);

    ck_assert_ptr_null(qga_call("/nonexistent/vm4/qga.sock", "guest-ping", NULL, 500, &err));
    ck_assert_msg(strstr(err.msg, "QGA on /nonexistent/vm4/qga.sock: no such socket"), "%s",
                  err.msg);
}
END_TEST

START_TEST(test_arg_builders)
{
    json_t *a = qga_args_set_user_password("u", "");
    ck_assert_str_eq(json_string_value(json_object_get(a, "password")), "");
    json_decref(a);
    ck_assert_ptr_null(qga_args_set_user_password("", "x"));
    ck_assert_ptr_null(qga_args_set_user_password("u", NULL));

    a = qga_args_set_time(1700000000123456789LL);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "time")), 1700000000123456789LL);
    json_decref(a);
    a = qga_args_set_time(-1);
    ck_assert_int_eq(json_object_size(a), 0);
    json_decref(a);

    a = qga_args_set_host_name("desk-017");
    ck_assert_str_eq(json_string_value(json_object_get(a, "host-name")), "desk-017");
    json_decref(a);
    ck_assert_ptr_null(qga_args_set_host_name(""));
}
END_TEST

START_TEST(test_first_ipv4)
{
    /* Shape of a real guest-network-get-interfaces reply. */
    json_t *ifaces = json_loads(
        "[{\"name\": \"lo\", \"ip-addresses\": [{\"ip-address-type\": \"ipv4\", \"ip-address\": "
        "\"127.0.0.1\", \"prefix\": 8}]},"
        " {\"name\": \"eth0\", \"hardware-address\": \"52:54:00:12:34:56\", \"ip-addresses\": "
        "[{\"ip-address-type\": \"ipv6\", \"ip-address\": \"fe80::5054:ff:fe12:3456\", "
        "\"prefix\": 64}, {\"ip-address-type\": \"ipv4\", \"ip-address\": \"10.0.2.15\", "
        "\"prefix\": 24}]}]",
        0, NULL);
    char ip[64];
    ck_assert_ptr_nonnull(ifaces);
    ck_assert_int_eq(qga_first_ipv4(ifaces, ip, sizeof ip), 0);
    ck_assert_str_eq(ip, "10.0.2.15");
    ck_assert_int_eq(qga_first_ipv4(json_array_get(ifaces, 0), ip, sizeof ip), -1);
    json_decref(ifaces);
}
END_TEST

/* A guest agent that lists two users and then, asked to log alice off, answers as
 * deskpool-guestd does: {"ended": N}; or, as an older agent would, CommandNotFound. */
static void script_users_then_logoff(struct peer *p, int knows_logoff)
{
    json_int_t sync = peer_expect_sync(p);
    peer_sync_reply(p, sync);
    json_t *v = peer_read(p);
    ck_assert_ptr_nonnull(v);
    const char *cmd = json_string_value(json_object_get(v, "execute"));
    json_int_t id = json_integer_value(json_object_get(v, "id"));
    if (strcmp(cmd, "deskpool-logoff-user") != 0)
        ck_abort_msg("unexpected %s", cmd);
    const char *user = json_string_value(json_object_get(json_object_get(v, "arguments"), "user"));
    ck_assert_str_eq(user ? user : "(none)", "alice");
    if (knows_logoff)
        peer_writef(p, "{\"return\": {\"ended\": 1}, \"id\": %" JSON_INTEGER_FORMAT "}\n", id);
    else
        peer_writef(p,
                    "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
                    "deskpool-logoff-user has not been found\"}, \"id\": %" JSON_INTEGER_FORMAT
                    "}\n",
                    id);
    json_decref(v);
    peer_wait_close(p);
}

static void script_logoff_known(struct peer *p)
{
    script_users_then_logoff(p, 1);
}

static void script_logoff_unknown(struct peer *p)
{
    script_users_then_logoff(p, 0);
}

START_TEST(test_logoff_user)
{
    struct dp_err err = {0};
    struct peer *p = peer_start(script_logoff_known);
    json_t *ret =
        qga_call(p->path, "deskpool-logoff-user", qga_args_logoff_user("alice"), 2000, &err);
    ck_assert_msg(ret != NULL, "%s", dp_err_msg(&err));
    ck_assert_int_eq(qga_logoff_ended(ret), 1);
    json_decref(ret);
    peer_stop(p);

    /* An older agent: the caller can tell "no such command" from any other failure. */
    p = peer_start(script_logoff_unknown);
    ret = qga_call(p->path, "deskpool-logoff-user", qga_args_logoff_user("alice"), 2000, &err);
    ck_assert_ptr_null(ret);
    ck_assert_msg(qga_error_is_unknown_command(dp_err_msg(&err)), "%s", dp_err_msg(&err));
    peer_stop(p);
    ck_assert(
        !qga_error_is_unknown_command("QGA on x: \"guest-ping\" failed: no answer in 2000 ms"));
    ck_assert(!qga_error_is_unknown_command(NULL));

    ck_assert_ptr_null(qga_args_logoff_user(""));
    json_t *bad = json_pack("{s:s}", "ended", "1");
    ck_assert_int_eq(qga_logoff_ended(bad), -1);
    json_decref(bad);
}
END_TEST

START_TEST(test_users_find)
{
    /* deskpool-guestd's shape: alice has a connected and a disconnected session, bob one
     * connected; carol's entry is what a standard agent sends (no deskpool-* members). */
    json_t *users =
        json_loads("[{\"user\": \"alice\", \"domain\": \"\", \"login-time\": 1764171000.5, "
                   "\"deskpool-session-id\": 2, \"deskpool-state\": \"active\"},"
                   " {\"user\": \"bob\", \"login-time\": 1764171100.0, \"deskpool-session-id\": 4, "
                   "\"deskpool-state\": \"active\"},"
                   " {\"user\": \"Alice\", \"domain\": \"LAB\", \"login-time\": 1764171234.0, "
                   "\"deskpool-session-id\": 3, \"deskpool-state\": \"disconnected\"},"
                   " {\"user\": \"carol\", \"login-time\": 1764170000}]",
                   0, NULL);
    ck_assert_ptr_nonnull(users);
    struct qga_user u;
    ck_assert_int_eq(qga_users_find(users, "alice", &u), 1);
    ck_assert_int_eq(u.session_id, 3); /* the disconnected one: a reconnect lands there */
    ck_assert_int_eq(u.state, QGA_USER_DISCONNECTED);
    ck_assert_str_eq(u.domain, "LAB");
    ck_assert(u.login_time > 1764171233.9 && u.login_time < 1764171234.1);
    ck_assert_int_eq(qga_users_find(users, "bob", &u), 1);
    ck_assert_int_eq(u.state, QGA_USER_ACTIVE);
    ck_assert_int_eq(u.session_id, 4);
    ck_assert_int_eq(qga_users_find(users, "carol", &u), 1);
    ck_assert_int_eq(u.state, QGA_USER_UNKNOWN);
    ck_assert_int_eq(u.session_id, 0);
    ck_assert_int_eq(qga_users_find(users, "dave", &u), 0);
    ck_assert_int_eq(qga_users_find(users, "alice", NULL), 1);
    json_decref(users);
    json_t *empty = json_array();
    ck_assert_int_eq(qga_users_find(empty, "alice", &u), 0);
    json_decref(empty);
    json_t *obj = json_object();
    ck_assert_int_eq(qga_users_find(obj, "alice", &u), -1);
    json_decref(obj);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qga");
    TCase *tc = tcase_create("fake-agent");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_resync_discards_junk);
    tcase_add_test(tc, test_absent_agent_times_out);
    tcase_add_test(tc, test_timeout_then_resync);
    tcase_add_test(tc, test_password_and_shutdown);
    tcase_add_test(tc, test_hang_up_fails_queue);
    tcase_add_test(tc, test_flood_before_sync);
    tcase_add_test(tc, test_call_sync);
    tcase_add_test(tc, test_arg_builders);
    tcase_add_test(tc, test_first_ipv4);
    tcase_add_test(tc, test_logoff_user);
    tcase_add_test(tc, test_users_find);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
