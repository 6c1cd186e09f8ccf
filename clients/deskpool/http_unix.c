/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP/1.1 request over a unix socket, with a deadline (see http_unix.h). */
#include "http_unix.h"

#include "err.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TICK_MS 100

static void unreachable(struct dp_err *err, const char *path, int e)
{
    if (e == EACCES || e == EPERM)
        dp_err_set(err,
                   "cannot reach deskpoold at %s: %s; run deskpool as root or as a member of "
                   "deskpoold's admin group",
                   path, strerror(e));
    else
        dp_err_set(err, "cannot reach deskpoold at %s: %s; is it running? (start it: deskpoold)",
                   path, strerror(e));
}

static int connect_unix(const char *path, struct dp_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        dp_err_set(err,
                   "cannot reach deskpoold at %s: the socket path is %zu bytes, unix sockets "
                   "allow %zu; use a shorter --socket path",
                   path, strlen(path), sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        dp_err_errno(err, "cannot create a unix socket");
        return -1;
    }
    /* A local connect either succeeds or fails at once (EAGAIN only when the daemon's
     * backlog is full, which we report like any refusal). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        unreachable(err, path, e);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    return fd;
}

/* Waits for fd to be ready for events, ticking; returns 0 ready, -1 past the deadline. */
static int wait_fd(int fd, short events, uint64_t deadline, http_tick_fn tick, void *arg)
{
    for (;;) {
        uint64_t now = dp_now_ms();
        if (now >= deadline)
            return -1;
        int slice = (int)(deadline - now < TICK_MS ? deadline - now : TICK_MS);
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, slice);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return 0; /* let the read/write report the error */
        if (tick)
            tick(arg);
    }
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline, http_tick_fn tick,
                    void *arg, const char *path, struct dp_err *err)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline, tick, arg) != 0) {
                dp_err_set(err, "deskpoold at %s did not take the request in time; see its log",
                           path);
                return -1;
            }
            continue;
        }
        dp_err_errno(err, "lost the connection to deskpoold at %s while sending", path);
        return -1;
    }
    return 0;
}

int http_unix_request(const char *socket_path, const struct http_request *req, int timeout_ms,
                      http_tick_fn tick, void *tick_arg, struct http_response *resp,
                      struct dp_err *err)
{
    uint64_t deadline = dp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1);
    memset(resp, 0, sizeof *resp);
    int fd = connect_unix(socket_path, err);
    if (fd < 0)
        return HTTP_UNREACHABLE;
    int result = HTTP_UNREACHABLE;
    size_t head_len = 0;
    char *head = http_format_head(req, NULL, NULL, "deskpool", &head_len);
    char *buf = NULL;
    if (!head) {
        dp_err_set(err, "cannot format the request (out of memory, or a line break in a name)");
        goto out;
    }
    if (send_all(fd, head, head_len, deadline, tick, tick_arg, socket_path, err) != 0 ||
        (req->body &&
         send_all(fd, req->body, req->body_len, deadline, tick, tick_arg, socket_path, err) != 0))
        goto out;

    size_t len = 0, cap = 16384;
    buf = malloc(cap);
    if (!buf) {
        dp_err_set(err, "out of memory reading an answer");
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= HTTP_MAX_RAW) {
                dp_err_set(err, "deskpoold's answer is larger than %d MiB; refusing it",
                           HTTP_MAX_RAW / (1024 * 1024));
                result = HTTP_BAD_RESPONSE;
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                dp_err_set(err, "out of memory reading an answer");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLIN, deadline, tick, tick_arg) != 0) {
                dp_err_set(err,
                           "deskpoold at %s did not answer within %d s; see its log, or retry "
                           "with a longer --timeout",
                           socket_path, (timeout_ms + 999) / 1000);
                goto out;
            }
            continue;
        }
        if (r < 0) {
            dp_err_errno(err, "lost the connection to deskpoold at %s", socket_path);
            goto out;
        }
        len += (size_t)r;
        struct dp_err perr = {0};
        int rc = http_response_parse(buf, len, r == 0, resp, &perr);
        if (rc == HTTP_PARSE_DONE) {
            result = HTTP_OK;
            goto out;
        }
        if (rc == HTTP_PARSE_ERROR) {
            if (len == 0)
                dp_err_set(err,
                           "deskpoold at %s closed the connection without answering; see its "
                           "log",
                           socket_path);
            else {
                dp_err_set(err, "deskpoold at %s sent a bad answer: %s", socket_path,
                           dp_err_msg(&perr));
                result = HTTP_BAD_RESPONSE;
            }
            goto out;
        }
    }
out:
    free(head);
    free(buf);
    close(fd);
    return result;
}
