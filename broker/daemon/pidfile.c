/* SPDX-License-Identifier: Apache-2.0 */
/* A locked pidfile: one deskpoold per state. */
#include "pidfile.h"
#include "err.h"
#include "files.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int pidfile_open(const char *path, struct dp_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    /* Often the socket's folder too (/run/deskpool): admin group members must reach it. */
    mode_t old_mask = umask(022);
    int made = dp_mkdirs(dirname(dir), 0755, err);
    umask(old_mask);
    if (made != 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        dp_err_errno(err, "cannot open the pidfile %s", path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = "";
        ssize_t n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        dp_err_set(err, "another deskpoold runs (pid %s, pidfile %s); stop it first",
                   buf[0] ? buf : "?", path);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        dp_err_errno(err, "cannot write the pidfile %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

void pidfile_close(int fd, const char *path)
{
    if (fd < 0)
        return;
    unlink(path);
    close(fd);
}
