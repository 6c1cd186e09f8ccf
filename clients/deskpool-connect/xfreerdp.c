/* SPDX-License-Identifier: Apache-2.0 */
/* Running xfreerdp with the routing token, the password on its standard input (launch.h). */
#include "launch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xf_argv_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) {
        explicit_bzero(argv[i], strlen(argv[i])); /* the token */
        free(argv[i]);
    }
}

static int add(char **argv, int *n, const char *fmt, const char *a)
{
    if (*n >= XF_MAX_ARGS - 1)
        return -1;
    if (asprintf(&argv[*n], fmt, a) < 0) {
        argv[*n] = NULL;
        return -1;
    }
    argv[++*n] = NULL;
    return 0;
}

int xf_argv(const char *client, const struct conn_target *t, char *const *extra, int nextra,
            char **argv)
{
    int n = 0;
    argv[0] = NULL;
    if (strpbrk(t->token, "\r\n") || !*t->token || !*t->gateway)
        return -1;
    int ok = add(argv, &n, "%s", client) == 0 && add(argv, &n, "/v:%s", t->gateway) == 0 &&
             add(argv, &n, "/load-balance-info:Cookie: msts=%s", t->token) == 0 &&
             add(argv, &n, "/u:%s", t->user) == 0 &&
             /* xfreerdp 2.11 reads what /u: and /p: did not give from stdin: the password. */
             add(argv, &n, "%s", "/from-stdin") == 0 &&
             /* The gateway splices the connection to the VM, so TLS ends at the VM, whose
              * certificate is its own and changes with every pooled desktop: a pin cannot
              * know it. The user is authenticated by NLA, which does not hand the password to
              * a server that cannot prove it knows it. */
             add(argv, &n, "%s", "/cert:ignore") == 0 &&
             add(argv, &n, "/t:deskpool: %s", t->vm ? t->vm : "desktop") == 0;
    for (int i = 0; ok && i < nextra; i++)
        ok = add(argv, &n, "%s", extra[i]) == 0;
    if (!ok) {
        xf_argv_free(argv);
        argv[0] = NULL;
        return -1;
    }
    return n;
}

int xf_find(const char *client, char *path, size_t cap)
{
    if (strchr(client, '/')) {
        if (snprintf(path, cap, "%s", client) >= (int)cap)
            return -1;
        return access(path, X_OK);
    }
    const char *env = getenv("PATH");
    char *dirs = strdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
    if (!dirs)
        return -1;
    int rc = -1;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (snprintf(path, cap, "%s/%s", *d ? d : ".", client) < (int)cap &&
            access(path, X_OK) == 0) {
            rc = 0;
            break;
        }
    }
    free(dirs);
    return rc;
}

void xf_exec(const char *path, char **argv, const char *password, char *msg, size_t cap)
{
    int p[2];
    if (pipe(p) != 0) {
        snprintf(msg, cap, "cannot make a pipe for the password: %s", strerror(errno));
        return;
    }
    /* A line of at most 512 bytes fits in any pipe's buffer: no reader needed yet. */
    size_t n = strlen(password);
    if (write(p[1], password, n) != (ssize_t)n || write(p[1], "\n", 1) != 1) {
        snprintf(msg, cap, "cannot hand the password to %s: %s", path, strerror(errno));
        close(p[0]);
        close(p[1]);
        return;
    }
    close(p[1]);
    if (dup2(p[0], STDIN_FILENO) < 0) {
        snprintf(msg, cap, "cannot hand the password to %s: %s", path, strerror(errno));
        close(p[0]);
        return;
    }
    if (p[0] != STDIN_FILENO)
        close(p[0]);
    fflush(NULL);
    execv(path, argv);
    snprintf(msg, cap,
             "cannot run %s: %s; install xfreerdp (apt-get install freerdp2-x11), "
             "give --client PATH, or use --rdp-file",
             path, strerror(errno));
}
