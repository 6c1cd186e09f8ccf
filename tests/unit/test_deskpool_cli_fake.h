/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_TEST_CLI_FAKE_H
#define DESKPOOL_TEST_CLI_FAKE_H

/*
 * A fake deskpoold for the CLI tests: a child process on a unix socket that answers each
 * connection with the next canned raw HTTP response and appends each request it read to a
 * log ("METHOD TARGET\nBODY\n" per request). In a canned response "\x01" means: send what
 * came before, pause 50 ms (so the client sees pieces), and "\x02": pause 3 s (timeouts).
 * Header-only: every tests/unit/test_*.c is its own program.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_UNUSED __attribute__((unused))

static FAKE_UNUSED char fake_dir[64], fake_sock[128], fake_log[128];
static FAKE_UNUSED pid_t fake_pid;

static FAKE_UNUSED void fake_serve_one(int c, const char *reply, FILE *log)
{
    char req[65536];
    size_t n = 0;
    char *end = NULL;
    while (n < sizeof req - 1) {
        ssize_t r = read(c, req + n, sizeof req - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        if ((end = strstr(req, "\r\n\r\n"))) {
            const char *cl = strcasestr(req, "Content-Length:");
            size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
            size_t have = n - (size_t)(end + 4 - req);
            if (have >= want)
                break;
        }
    }
    req[n] = '\0';
    end = strstr(req, "\r\n\r\n");
    char *sp = strchr(req, ' '), *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
    if (sp && sp2 && end) {
        fprintf(log, "%.*s %.*s\n%s\n", (int)(sp - req), req, (int)(sp2 - sp - 1), sp + 1, end + 4);
        fflush(log);
    }
    for (const char *p = reply; *p;) {
        size_t k = strcspn(p, "\x01\x02");
        if (k && write(c, p, k) < 0)
            break;
        p += k;
        if (*p == '\x01')
            usleep(50 * 1000);
        else if (*p == '\x02')
            sleep(3);
        if (*p)
            p++;
    }
}

/* Starts the fake with n replies (one per connection); it exits after the last. */
static FAKE_UNUSED void fake_start(const char *const *replies, size_t n)
{
    snprintf(fake_dir, sizeof fake_dir, "/tmp/dp-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fake_dir));
    snprintf(fake_sock, sizeof fake_sock, "%s/d.sock", fake_dir);
    snprintf(fake_log, sizeof fake_log, "%s/requests.log", fake_dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fake_sock);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(s, 8), 0);
    fake_pid = fork();
    ck_assert_int_ge(fake_pid, 0);
    if (fake_pid == 0) {
        signal(SIGPIPE, SIG_IGN); /* clients that time out close early */
        FILE *log = fopen(fake_log, "a");
        for (size_t i = 0; i < n; i++) {
            int c = accept(s, NULL, NULL);
            if (c < 0)
                _exit(1);
            fake_serve_one(c, replies[i], log);
            close(c);
        }
        fclose(log);
        _exit(0);
    }
    close(s);
}

/* Stops the fake (if still waiting) and removes its files. */
static FAKE_UNUSED void fake_stop(void)
{
    if (fake_pid > 0) {
        kill(fake_pid, SIGKILL);
        waitpid(fake_pid, NULL, 0);
        fake_pid = 0;
    }
    unlink(fake_sock);
    unlink(fake_log);
    rmdir(fake_dir);
}

/* The request log so far (malloc'd, "" if none). */
static FAKE_UNUSED char *fake_requests(void)
{
    FILE *f = fopen(fake_log, "r");
    char *buf = calloc(1, 65536);
    if (f) {
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

/* A response with Content-Length ("200 OK", "{...}"), in one of 16 rotating buffers. */
static FAKE_UNUSED const char *fake_json(const char *status, const char *body)
{
    static char bufs[16][8192];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0],
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             status, strlen(body), body);
    return b;
}
#endif
