/* SPDX-License-Identifier: Apache-2.0 */
#include "session_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "err.h"
#include "files.h"

#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
#define ID_MAX 127

struct gw_journal {
    int lock_fd;
    char dir[4200];
};

int gw_journal_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= ID_MAX && strspn(s, ID_CHARS) == n;
}

struct gw_journal *gw_journal_open(const char *state_dir, const char *listen_host, int port,
                                   struct dp_err *err)
{
    struct gw_journal *j = calloc(1, sizeof *j);
    if (!j) {
        dp_err_set(err, "out of memory for the session journal");
        return NULL;
    }
    j->lock_fd = -1;
    /* One folder per listen address: two gateways may share a state_dir (and certificate)
     * but never a listen address, so neither reads the other's sessions. */
    char host[300];
    snprintf(host, sizeof host, "%s", listen_host);
    for (char *p = host; *p; p++)
        if (!strchr(ID_CHARS ".", *p))
            *p = '_';
    snprintf(j->dir, sizeof j->dir, "%s/sessions-%s-%d", state_dir, host, port);
    if (dp_mkdirs(j->dir, 0700, err) < 0)
        goto fail;
    char lock[4300];
    snprintf(lock, sizeof lock, "%s/.lock", j->dir);
    j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0) {
        dp_err_errno(
            err, "cannot open %s (the gateway's session journal; check [gateway] state_dir)", lock);
        goto fail;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            dp_err_set(err,
                       "another deskpool-gw with state_dir %s listens on %s:%d (it holds %s); "
                       "stop it first or give this one another [gateway] state_dir",
                       state_dir, listen_host, port, lock);
        else
            dp_err_errno(err, "cannot lock %s", lock);
        goto fail;
    }
    return j;
fail:
    gw_journal_close(j);
    return NULL;
}

void gw_journal_close(struct gw_journal *j)
{
    if (!j)
        return;
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    free(j);
}

const char *gw_journal_dir(const struct gw_journal *j)
{
    return j->dir;
}

static int path_of(const struct gw_journal *j, const char *id, char *out, size_t cap)
{
    if (!gw_journal_id_ok(id))
        return -1;
    snprintf(out, cap, "%s/%s", j->dir, id);
    return 0;
}

int gw_journal_add(struct gw_journal *j, const char *session_id, struct dp_err *err)
{
    char p[4400];
    if (path_of(j, session_id, p, sizeof p) < 0) {
        dp_err_set(err, "session id \"%.40s\" is not [A-Za-z0-9_-]; not journaled", session_id);
        return -1;
    }
    /* An empty file: its name is the record. No fsync: a crash of the host loses the
     * sessions anyway, and the broker's own timeouts then apply. */
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        dp_err_errno(err, "cannot create %s (the gateway's session journal; is the disk full?)", p);
        return -1;
    }
    close(fd);
    return 0;
}

void gw_journal_remove(struct gw_journal *j, const char *session_id)
{
    char p[4400];
    if (path_of(j, session_id, p, sizeof p) == 0)
        unlink(p);
}

int gw_journal_has(const struct gw_journal *j, const char *session_id)
{
    char p[4400];
    return path_of(j, session_id, p, sizeof p) == 0 && access(p, F_OK) == 0;
}

void gw_journal_free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int gw_journal_list(const struct gw_journal *j, char ***ids, struct dp_err *err)
{
    *ids = NULL;
    DIR *d = opendir(j->dir);
    if (!d) {
        dp_err_errno(err, "cannot read %s (the gateway's session journal)", j->dir);
        return -1;
    }
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!gw_journal_id_ok(e->d_name))
            continue; /* ".", "..", ".lock" and anything not ours */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **bigger = realloc(*ids, (size_t)cap * sizeof **ids);
            if (!bigger)
                goto oom;
            *ids = bigger;
        }
        if (!((*ids)[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    return n;
oom:
    closedir(d);
    gw_journal_free_ids(*ids, n);
    *ids = NULL;
    dp_err_set(err, "out of memory reading %s", j->dir);
    return -1;
}
