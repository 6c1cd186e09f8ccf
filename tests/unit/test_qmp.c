/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QMP client against a fake QEMU: a thread serves a unix socket and plays a script
 * (greeting, replies, events, silence, garbage, hang-up), while the test runs the client
 * on its own event loop and checks what the owner of the client would see.
 */
#include <check.h>
#include <errno.h>
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
#include "qmp.h"

/* ---- the fake QEMU ---- */

struct peer {
    char dir[64];
    char vmdir[96];
    char path[128];
    int lfd;
    int fd;
    char buf[8192];
    size_t len;
    void (*script)(struct peer *p);
    pthread_t thread;
};

static const char greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"Debian\"}, \"capabilities\": [\"oob\"]}}\r\n";

static void peer_write(struct peer *p, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the client went away; the test checks what it saw */
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
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    peer_write(p, line);
}

/* Reads one line (a command) as JSON; NULL on EOF or after 5 s of silence. */
static json_t *peer_read(struct peer *p)
{
    for (;;) {
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

/* Reads a command, checks its name, returns its id. */
static json_int_t peer_expect(struct peer *p, const char *cmd)
{
    json_t *v = peer_read(p);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_string_value(json_object_get(v, "execute")), cmd);
    json_t *id = json_object_get(v, "id");
    ck_assert(json_is_integer(id));
    json_int_t n = json_integer_value(id);
    json_decref(v);
    return n;
}

static void peer_handshake(struct peer *p)
{
    peer_write(p, greeting);
    json_int_t id = peer_expect(p, "qmp_capabilities");
    peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\r\n", id);
}

/* Waits until the client hangs up (or 5 s pass), like QEMU would. */
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
    strcpy(p->dir, "/tmp/dp-qmp-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    /* The client names the VM after the socket's folder in its hints. */
    snprintf(p->vmdir, sizeof p->vmdir, "%s/vm7", p->dir);
    ck_assert_int_eq(mkdir(p->vmdir, 0700), 0);
    snprintf(p->path, sizeof p->path, "%s/qmp.sock", p->vmdir);
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
    struct qmp_client *c;
    int ready;
    char status_error[1024];
    int status_calls;
    char events[512];
    int replies;
    char order[256];
    char reply_error[4][1024];
    json_t *ret[4];
    int close_in_reply;
};

static void on_status(struct qmp_client *c, const char *error, void *arg)
{
    struct seen *s = arg;
    s->status_calls++;
    if (error)
        snprintf(s->status_error, sizeof s->status_error, "%s", error);
    else
        s->ready = 1;
    event_base_loopbreak(s->base);
}

static void on_event(struct qmp_client *c, const char *event, json_t *data, void *arg)
{
    struct seen *s = arg;
    strncat(s->events, event, sizeof s->events - strlen(s->events) - 2);
    strcat(s->events, ",");
}

/* Reply callbacks get a small tag (which command) through arg. */
struct tag {
    struct seen *s;
    int n;
};

static void on_reply(struct qmp_client *c, json_t *ret, const char *error, void *arg)
{
    struct tag *t = arg;
    struct seen *s = t->s;
    char n[16];
    snprintf(n, sizeof n, "%d,", t->n);
    strcat(s->order, n);
    if (ret)
        s->ret[t->n] = json_incref(ret);
    if (error)
        snprintf(s->reply_error[t->n], sizeof s->reply_error[t->n], "%s", error);
    s->replies++;
    if (s->close_in_reply && s->c) {
        struct qmp_client *cl = s->c;
        s->c = NULL;
        qmp_close(cl); /* from inside a callback, with another command pending */
    }
    event_base_loopbreak(s->base);
}

/* Runs the loop until cond holds or 8 s pass (a hang fails the test, not the runner). */
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

static void open_client(struct seen *s, struct peer *p, int timeout_ms)
{
    struct dp_err err = {0};
    memset(s, 0, sizeof *s);
    s->base = event_base_new();
    s->c = qmp_open(s->base, p->path, timeout_ms, on_status, on_event, s, &err);
    ck_assert_msg(s->c != NULL, "%s", dp_err_msg(&err));
}

static void close_client(struct seen *s)
{
    qmp_close(s->c);
    for (int i = 0; i < 4; i++)
        json_decref(s->ret[i]);
    event_base_free(s->base);
}

/* ---- scripts and tests ---- */

static void script_basic(struct peer *p)
{
    peer_handshake(p);
    json_int_t id = peer_expect(p, "query-status");
    /* An event may come between a command and its reply. */
    peer_write(p,
               "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n");
    peer_writef(p,
                "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
                "\"id\": %" JSON_INTEGER_FORMAT "}\r\n",
                id);
    peer_write(p,
               "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"RESUME\"}\r\n"
               "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 4}, \"event\": \"SHUTDOWN\", "
               "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n");
    peer_wait_close(p);
}

START_TEST(test_handshake_command_events)
{
    struct peer *p = peer_start(script_basic);
    struct seen s;
    struct tag t0;
    struct dp_err err = {0};
    open_client(&s, p, 2000);
    t0 = (struct tag){&s, 0};
    /* Nothing may be sent before the handshake. */
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 1000, on_reply, &t0, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "handshake"));
    RUN_UNTIL(&s, s.ready);
    ck_assert(qmp_is_ready(s.c));
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 2000, on_reply, &t0, NULL), 0);
    ck_assert_int_eq(s.replies, 0); /* never from inside qmp_execute */
    RUN_UNTIL(&s, s.replies == 1 && strstr(s.events, "SHUTDOWN"));
    ck_assert_str_eq(json_string_value(json_object_get(s.ret[0], "status")), "running");
    ck_assert_str_eq(s.events, "STOP,RESUME,SHUTDOWN,");
    ck_assert_int_eq(s.status_calls, 1);
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_out_of_order(struct peer *p)
{
    peer_handshake(p);
    json_int_t a = peer_expect(p, "query-status");
    json_int_t b = peer_expect(p, "query-name");
    json_int_t c = peer_expect(p, "no-such-command");
    peer_writef(p, "{\"return\": {\"name\": \"vm7\"}, \"id\": %" JSON_INTEGER_FORMAT "}\r\n", b);
    peer_writef(p,
                "{\"id\": %" JSON_INTEGER_FORMAT ", \"error\": {\"class\": \"CommandNotFound\", "
                "\"desc\": \"The command no-such-command has not been found\"}}\r\n",
                c);
    peer_writef(p, "{\"return\": {\"status\": \"paused\"}, \"id\": %" JSON_INTEGER_FORMAT "}\r\n",
                a);
    peer_wait_close(p);
}

START_TEST(test_out_of_order_and_error_reply)
{
    struct peer *p = peer_start(script_out_of_order);
    struct seen s;
    open_client(&s, p, 2000);
    RUN_UNTIL(&s, s.ready);
    struct tag t[3] = {{&s, 0}, {&s, 1}, {&s, 2}};
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 2000, on_reply, &t[0], NULL), 0);
    ck_assert_int_eq(qmp_execute(s.c, "query-name", NULL, 2000, on_reply, &t[1], NULL), 0);
    ck_assert_int_eq(qmp_execute(s.c, "no-such-command", json_pack("{s:i}", "x", 1), 2000, on_reply,
                                 &t[2], NULL),
                     0);
    RUN_UNTIL(&s, s.replies == 3);
    ck_assert_str_eq(s.order, "1,2,0,");
    ck_assert_str_eq(json_string_value(json_object_get(s.ret[1], "name")), "vm7");
    ck_assert_str_eq(json_string_value(json_object_get(s.ret[0], "status")), "paused");
    ck_assert_ptr_null(s.ret[2]);
    ck_assert_ptr_nonnull(strstr(s.reply_error[2], "\"no-such-command\" failed"));
    ck_assert_ptr_nonnull(strstr(s.reply_error[2], "CommandNotFound"));
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_silent(struct peer *p)
{
    peer_handshake(p);
    peer_wait_close(p); /* reads commands, never answers */
}

START_TEST(test_no_answer_times_out)
{
    struct peer *p = peer_start(script_silent);
    struct seen s;
    open_client(&s, p, 2000);
    RUN_UNTIL(&s, s.ready);
    struct tag t0 = {&s, 0};
    uint64_t t = dp_now_ms();
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 300, on_reply, &t0, NULL), 0);
    RUN_UNTIL(&s, s.replies == 1);
    uint64_t took = dp_now_ms() - t;
    ck_assert_uint_ge(took, 290);
    ck_assert_uint_le(took, 1500);
    ck_assert_msg(strstr(s.reply_error[0], "no reply to \"query-status\" within 300 ms"), "%s",
                  s.reply_error[0]);
    ck_assert_ptr_nonnull(strstr(s.reply_error[0], "deskpool-hv vm kill vm7"));
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_no_greeting(struct peer *p)
{
    peer_wait_close(p);
}

START_TEST(test_no_greeting_times_out)
{
    struct peer *p = peer_start(script_no_greeting);
    struct seen s;
    uint64_t t = dp_now_ms();
    open_client(&s, p, 300);
    RUN_UNTIL(&s, s.status_calls == 1);
    ck_assert_uint_le(dp_now_ms() - t, 1500);
    ck_assert(!s.ready);
    ck_assert_msg(strstr(s.status_error, "no greeting within 300 ms"), "%s", s.status_error);
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_hang_up(struct peer *p)
{
    peer_handshake(p);
    peer_expect(p, "query-status");
    peer_expect(p, "query-name");
    /* QEMU exits: the socket closes with two commands unanswered. */
}

START_TEST(test_hang_up_fails_all_pending)
{
    struct peer *p = peer_start(script_hang_up);
    struct seen s;
    open_client(&s, p, 2000);
    RUN_UNTIL(&s, s.ready);
    struct tag t[2] = {{&s, 0}, {&s, 1}};
    uint64_t t0 = dp_now_ms();
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 5000, on_reply, &t[0], NULL), 0);
    ck_assert_int_eq(qmp_execute(s.c, "query-name", NULL, 5000, on_reply, &t[1], NULL), 0);
    RUN_UNTIL(&s, s.replies == 2 && s.status_calls == 2);
    ck_assert_uint_le(dp_now_ms() - t0, 2000); /* at once, not at the timeouts */
    ck_assert_str_eq(s.order, "0,1,");
    for (int i = 0; i < 2; i++)
        ck_assert_msg(strstr(s.reply_error[i], "QEMU closed the socket"), "%s", s.reply_error[i]);
    ck_assert_ptr_nonnull(strstr(s.status_error, "QEMU closed the socket"));
    ck_assert(!qmp_is_ready(s.c));
    struct dp_err err = {0};
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 100, on_reply, &t[0], &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "closed"));
    close_client(&s);
    peer_stop(p);
}
END_TEST

static void script_garbage(struct peer *p)
{
    peer_handshake(p);
    peer_expect(p, "query-status");
    peer_write(p, "this is not JSON\r\n");
    peer_wait_close(p);
}

static void script_oversize(struct peer *p)
{
    peer_handshake(p);
    peer_expect(p, "query-status");
    peer_write(p, "{\"return\": \"");
    char chunk[4097];
    memset(chunk, 'A', 4096);
    chunk[4096] = 0;
    for (int i = 0; i < 300; i++) /* 1.2 MiB, more than the 1 MiB bound */
        peer_write(p, chunk);
    peer_wait_close(p);
}

static void script_not_qmp(struct peer *p)
{
    peer_write(p, "{\"hello\": \"I am not QEMU\"}\n");
    peer_wait_close(p);
}

static void bad_input_case(void (*script)(struct peer *), const char *expect, int handshake_ok)
{
    struct peer *p = peer_start(script);
    struct seen s;
    open_client(&s, p, 2000);
    if (handshake_ok) {
        RUN_UNTIL(&s, s.ready);
        struct tag t0 = {&s, 0};
        ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 5000, on_reply, &t0, NULL), 0);
        RUN_UNTIL(&s, s.replies == 1 && s.status_calls == 2);
        ck_assert_msg(strstr(s.reply_error[0], expect), "%s", s.reply_error[0]);
    } else {
        RUN_UNTIL(&s, s.status_calls == 1);
        ck_assert(!s.ready);
    }
    ck_assert_msg(strstr(s.status_error, expect), "%s", s.status_error);
    close_client(&s);
    peer_stop(p);
}

START_TEST(test_garbage_is_a_clean_error)
{
    bad_input_case(script_garbage, "bytes that are not JSON", 1);
}
END_TEST

START_TEST(test_oversize_is_a_clean_error)
{
    bad_input_case(script_oversize, "message too large", 1);
}
END_TEST

START_TEST(test_not_a_qmp_socket)
{
    bad_input_case(script_not_qmp, "not a QMP greeting", 0);
}
END_TEST

static void script_two_pending(struct peer *p)
{
    peer_handshake(p);
    json_int_t a = peer_expect(p, "query-status");
    peer_expect(p, "query-name");
    peer_writef(p, "{\"return\": {}, \"id\": %" JSON_INTEGER_FORMAT "}\r\n", a);
    peer_wait_close(p);
}

START_TEST(test_close_inside_callback)
{
    struct peer *p = peer_start(script_two_pending);
    struct seen s;
    open_client(&s, p, 2000);
    RUN_UNTIL(&s, s.ready);
    struct tag t[2] = {{&s, 0}, {&s, 1}};
    s.close_in_reply = 1;
    ck_assert_int_eq(qmp_execute(s.c, "query-status", NULL, 5000, on_reply, &t[0], NULL), 0);
    ck_assert_int_eq(qmp_execute(s.c, "query-name", NULL, 5000, on_reply, &t[1], NULL), 0);
    RUN_UNTIL(&s, s.replies == 2);
    /* The second one failed from inside qmp_close(), run by the first one's callback. */
    ck_assert_str_eq(s.order, "0,1,");
    ck_assert_ptr_nonnull(s.ret[0]);
    ck_assert_ptr_nonnull(strstr(s.reply_error[1], "qmp_close"));
    ck_assert_int_eq(s.status_calls, 1); /* no status callback after close */
    close_client(&s);                    /* s.c is NULL: a no-op */
    peer_stop(p);
}
END_TEST

START_TEST(test_call_sync)
{
    struct peer *p = peer_start(script_basic);
    struct dp_err err = {0};
    json_t *ret = qmp_call(p->path, "query-status", NULL, 2000, &err);
    ck_assert_msg(ret != NULL, "%s", dp_err_msg(&err));
    ck_assert(json_is_true(json_object_get(ret, "running")));
    json_decref(ret);
    peer_stop(p);
}
END_TEST

START_TEST(test_call_sync_timeout)
{
    struct peer *p = peer_start(script_silent);
    struct dp_err err = {0};
    uint64_t t = dp_now_ms();
    json_t *ret = qmp_call(p->path, "query-status", json_object(), 400, &err);
    ck_assert_ptr_null(ret);
    ck_assert_uint_le(dp_now_ms() - t, 1500);
    ck_assert_msg(strstr(err.msg, "no reply to \"query-status\""), "%s", err.msg);
    peer_stop(p);
}
END_TEST

START_TEST(test_connect_errors)
{
    struct dp_err err = {0};
    char path[200];
    ck_assert_ptr_null(qmp_call("/nonexistent/vm3/qmp.sock", "query-status", NULL, 500, &err));
    ck_assert_msg(strstr(err.msg, "no such socket") && strstr(err.msg, "vm status vm3"), "%s",
                  err.msg);

    /* Longer than sun_path: refused, not truncated to some other socket. */
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[sizeof path - 1] = 0;
    dp_err_clear(&err);
    ck_assert_ptr_null(qmp_call(path, "query-status", NULL, 500, &err));
    ck_assert_msg(strstr(err.msg, "unix socket path must be"), "%s", err.msg);

    /* A socket file nobody listens on: what QEMU leaves behind when it is killed. */
    char dir[] = "/tmp/dp-qmp-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/qmp.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    dp_err_clear(&err);
    ck_assert_ptr_null(qmp_call(sa.sun_path, "query-status", NULL, 500, &err));
    ck_assert_msg(strstr(err.msg, "connection refused"), "%s", err.msg);
    unlink(sa.sun_path);
    rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("qmp");
    TCase *tc = tcase_create("fake-qemu");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_handshake_command_events);
    tcase_add_test(tc, test_out_of_order_and_error_reply);
    tcase_add_test(tc, test_no_answer_times_out);
    tcase_add_test(tc, test_no_greeting_times_out);
    tcase_add_test(tc, test_hang_up_fails_all_pending);
    tcase_add_test(tc, test_garbage_is_a_clean_error);
    tcase_add_test(tc, test_oversize_is_a_clean_error);
    tcase_add_test(tc, test_not_a_qmp_socket);
    tcase_add_test(tc, test_close_inside_callback);
    tcase_add_test(tc, test_call_sync);
    tcase_add_test(tc, test_call_sync_timeout);
    tcase_add_test(tc, test_connect_errors);
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
