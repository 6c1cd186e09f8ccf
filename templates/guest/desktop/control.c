/* SPDX-License-Identifier: Apache-2.0 */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "files.h"

int control_path_beside(char *out, size_t cap, const char *users_path, struct dp_err *err)
{
    struct sockaddr_un sa;
    const char *slash = strrchr(users_path, '/');
    int n = slash ? snprintf(out, cap, "%.*s/control", (int)(slash - users_path), users_path)
                  : snprintf(out, cap, "control");
    if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof sa.sun_path) {
        dp_err_set(err,
                   "control socket path next to %s is longer than %zu bytes; give a shorter "
                   "one with --control",
                   users_path, sizeof sa.sun_path - 1);
        return -1;
    }
    return 0;
}

int control_open(const char *path, struct dp_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        dp_err_set(err,
                   "control socket path %s is longer than %zu bytes; choose a shorter --control",
                   path, sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            dp_err_set(err, "%s exists and is not a socket; remove it or choose another --control",
                       path);
            return -1;
        }
        unlink(path); /* left by a server that did not stop cleanly */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        dp_err_errno(err, "cannot create the control socket");
        return -1;
    }
    /* Only root (the guest agent) may end sessions: the mode is set before anyone can
     * connect, by binding under a restrictive umask. */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || listen(fd, 4) != 0) {
        dp_err_errno(err, "cannot listen on the control socket %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

int control_parse_request(const char *line, size_t len, char user[CONTROL_USER_MAX])
{
    if (len <= 7 || memcmp(line, "LOGOFF\t", 7) != 0 || len - 7 >= CONTROL_USER_MAX)
        return -1;
    for (size_t i = 7; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            return -1;
    memcpy(user, line + 7, len - 7);
    user[len - 7] = '\0';
    return 0;
}

int control_read_request(int fd, char user[CONTROL_USER_MAX])
{
    char buf[CONTROL_USER_MAX + 16];
    size_t have = 0;
    uint64_t deadline = dp_now_ms() + CONTROL_READ_TIMEOUT_MS;
    while (have < sizeof buf) {
        uint64_t now = dp_now_ms();
        if (now >= deadline)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
        char *nl = memchr(buf, '\n', have);
        if (nl)
            return control_parse_request(buf, (size_t)(nl - buf), user);
    }
    return -1;
}

void control_reply(int fd, int n, const char *msg)
{
    char buf[320];
    int len = n >= 0 ? snprintf(buf, sizeof buf, "ENDED\t%d\n", n)
                     : snprintf(buf, sizeof buf, "ERROR\t%.300s\n", msg ? msg : "failed");
    if (len > 0)
        (void)!send(fd, buf, (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
}
