/* SPDX-License-Identifier: Apache-2.0 */
#include "desktop_ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "files.h"

int desktop_ctl_parse_reply(const char *line, size_t len, struct dp_err *err)
{
    if (len > 6 && memcmp(line, "ERROR\t", 6) == 0) {
        dp_err_set(err, "the desktop server says: %.*s", (int)(len - 6 > 200 ? 200 : len - 6),
                   line + 6);
        return -1;
    }
    if (len < 7 || len > 6 + 9 || memcmp(line, "ENDED\t", 6) != 0) {
        dp_err_set(err, "the desktop server sent an unexpected reply; is deskpool-desktop the "
                        "same version as deskpool-guestd?");
        return -1;
    }
    int n = 0;
    for (size_t i = 6; i < len; i++) {
        if (line[i] < '0' || line[i] > '9') {
            dp_err_set(err, "the desktop server sent a malformed count");
            return -1;
        }
        n = n * 10 + (line[i] - '0');
    }
    return n;
}

/* Waits for fd to be ready for events until deadline (dp_now_ms). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = dp_now_ms();
        if (now >= deadline)
            return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int desktop_ctl_logoff(const char *path, const char *user, struct dp_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        dp_err_set(err, "control socket path %s is longer than %zu bytes", path,
                   sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    char req[320];
    int n = snprintf(req, sizeof req, "LOGOFF\t%s\n", user);
    if (n < 0 || (size_t)n >= sizeof req) {
        dp_err_set(err, "user name too long");
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        dp_err_errno(err, "cannot create a unix socket");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        dp_err_errno(err, "cannot reach the desktop server's control socket %s", path);
        return (e == ENOENT || e == ECONNREFUSED) ? -2 : -1;
    }
    uint64_t deadline = dp_now_ms() + DESKTOP_CTL_TIMEOUT_MS;
    char buf[256];
    size_t have = 0;
    int rc = -1;
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        dp_err_errno(err, "cannot send to the desktop server's control socket %s", path);
        goto out;
    }
    while (have < sizeof buf) {
        if (wait_fd(fd, POLLIN, deadline) != 0) {
            dp_err_set(err, "the desktop server did not answer within %d ms on %s",
                       DESKTOP_CTL_TIMEOUT_MS, path);
            goto out;
        }
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            dp_err_set(err, "the desktop server closed %s without an answer", path);
            goto out;
        }
        have += (size_t)r;
        char *nl = memchr(buf, '\n', have);
        if (nl) {
            rc = desktop_ctl_parse_reply(buf, (size_t)(nl - buf), err);
            goto out;
        }
    }
    dp_err_set(err, "the desktop server's answer on %s is too long", path);
out:
    close(fd);
    return rc;
}
