/* SPDX-License-Identifier: Apache-2.0 */
/* Processes: running helper programs (qemu-img, QEMU itself) and watching QEMU by pid. */
#include "proc.h"

#include "err.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Drains two pipes at once so a chatty child can never block on a full pipe. */
static void drain(int fds[2], char *bufs[2], size_t caps[2])
{
    size_t lens[2] = {0, 0};
    char scratch[4096];
    int open_fds = 2;
    while (open_fds > 0) {
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i], scratch, sizeof scratch);
            if (n <= 0) {
                close(fds[i]);
                fds[i] = -1;
                open_fds--;
                continue;
            }
            if (bufs[i] && caps[i] > 1) {
                size_t room = caps[i] - 1 - lens[i];
                size_t take = (size_t)n < room ? (size_t)n : room;
                memcpy(bufs[i] + lens[i], scratch, take);
                lens[i] += take;
                bufs[i][lens[i]] = '\0';
            }
        }
    }
}

int proc_run(char *const argv[], char *out, size_t cap, char *errbuf, size_t errcap,
             struct dp_err *err)
{
    int po[2], pe[2];
    if (out && cap)
        out[0] = '\0';
    if (errbuf && errcap)
        errbuf[0] = '\0';
    if (pipe2(po, O_CLOEXEC) != 0) {
        dp_err_errno(err, "cannot run %s", argv[0]);
        return -1;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        dp_err_errno(err, "cannot run %s", argv[0]);
        close(po[0]);
        close(po[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        close(po[0]);
        close(pe[0]);
        errno = rc;
        dp_err_errno(err, "cannot run %s", argv[0]);
        return -1;
    }
    int fds[2] = {po[0], pe[0]};
    char *bufs[2] = {out, errbuf};
    size_t caps[2] = {out ? cap : 0, errbuf ? errcap : 0};
    drain(fds, bufs, caps);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            dp_err_errno(err, "waiting for %s", argv[0]);
            return -1;
        }
    }
    if (!WIFEXITED(status)) {
        dp_err_set(err, "%s died of signal %d", argv[0], WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

int proc_which(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (strchr(name, '/')) {
        if (access(name, X_OK) != 0)
            return -1;
        snprintf(out, cap, "%s", name);
        return 0;
    }
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path);
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if ((size_t)snprintf(out, cap, "%s/%s", d, name) < cap && access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

int proc_read_pidfile(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 1 || pid > 4194304)
        pid = 0;
    fclose(f);
    return (int)pid;
}

int proc_alive_with(int pid, const char *needle)
{
    if (pid <= 1)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    size_t len = 0;
    char *cmd = dp_read_file(path, 1 << 20, &len, NULL);
    if (!cmd)
        return 0;
    /* cmdline is NUL-separated: make it one searchable string. */
    for (size_t i = 0; i < len; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    int found = len > 0 && strstr(cmd, needle) != NULL;
    free(cmd);
    if (!found)
        return 0;
    /* A zombie (exited, not yet reaped by its parent) is not alive for our purposes. */
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    char *stat = dp_read_file(path, 1 << 16, NULL, NULL);
    int zombie = 0;
    if (stat) {
        char *rp = strrchr(stat, ')');
        zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
        free(stat);
    }
    return !zombie;
}

long proc_rss_kb(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int proc_wait_gone(int pid, int timeout_ms)
{
    uint64_t deadline = dp_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        /* Reap it if it happens to be our child (e.g. in tests); harmless otherwise. */
        waitpid(pid, NULL, WNOHANG);
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return 0;
        if (!proc_alive_with(pid, ""))
            return 0;
        if (dp_now_ms() >= deadline)
            return -1;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
