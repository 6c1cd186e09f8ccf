/* SPDX-License-Identifier: Apache-2.0 */
/* The admin API's unix socket. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "files.h"
#include "listen.h"

#include <event2/http.h>
#include <event2/util.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* 1 if something accepts connections on path now. */
static int socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int alive = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
    close(fd);
    return alive;
}

int listen_unix(struct deskpoold *d, struct dp_err *err)
{
    const char *path = d->cfg.socket;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        dp_err_set(err, "socket path %s is longer than %zu bytes; choose a shorter one", path,
                   sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    /* The folder must let admin group members reach the socket whatever the daemon's umask;
     * the socket's own mode and the uid check keep everyone else out. */
    mode_t old_mask = umask(022);
    int made = dp_mkdirs(dirname(dir), 0755, err);
    umask(old_mask);
    if (made != 0)
        return -1;
    if (socket_alive(&sa)) {
        dp_err_set(err, "another deskpoold answers on %s; stop it first", path);
        return -1;
    }
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        dp_err_errno(err, "cannot make the admin socket");
        return -1;
    }
    /* Bind with a tight umask, so there is no moment the socket is open to everyone. */
    old_mask = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old_mask);
    if (rc != 0 || listen(fd, 128) != 0) {
        dp_err_errno(err, "cannot listen on %s", path);
        close(fd);
        return -1;
    }
    if (d->has_admin_gid && chown(path, (uid_t)-1, d->admin_gid) != 0) {
        dp_err_errno(err, "cannot give %s to group %s", path, d->cfg.admin_group);
        close(fd);
        return -1;
    }
    if (chmod(path, 0660) != 0) {
        dp_err_errno(err, "cannot chmod 0660 %s", path);
        close(fd);
        return -1;
    }
    d->http_unix = evhttp_new(d->base);
    if (!d->http_unix || !evhttp_accept_socket_with_handle(d->http_unix, fd)) {
        dp_err_set(err, "cannot serve HTTP on %s", path);
        close(fd);
        return -1;
    }
    return 0;
}
