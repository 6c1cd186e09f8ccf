/* SPDX-License-Identifier: Apache-2.0 */
#include "jsonchan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"

void jsonchan_vm_name(const char *path, char *out, size_t n)
{
    const char *end = strrchr(path, '/');
    const char *start;
    if (!end || end == path) {
        snprintf(out, n, "%s", path);
        return;
    }
    start = end;
    while (start > path && start[-1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), start);
}

int jsonchan_connect(const char *what, const char *path, struct dp_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char vm[64];
    size_t len = strlen(path);

    jsonchan_vm_name(path, vm, sizeof vm);
    if (len == 0 || len >= sizeof sa.sun_path) {
        dp_err_set(err,
                   "%s socket path \"%s\" is %zu bytes; a unix socket path must be 1..%zu "
                   "bytes: use a shorter state directory",
                   what, path, len, sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, len + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        dp_err_errno(err, "%s on %s: cannot create a socket", what, path);
        return -1;
    }
    /* Connecting to a unix socket completes or fails at once; there is no EINPROGRESS. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    int e = errno;
    close(fd);
    errno = e;
    if (e == ENOENT)
        dp_err_set(err, "%s on %s: no such socket; is the VM running? (deskpool-hv vm status %s)",
                   what, path, vm);
    else if (e == ECONNREFUSED)
        dp_err_set(err,
                   "%s on %s: nobody listens (connection refused); QEMU has exited "
                   "(deskpool-hv vm status %s)",
                   what, path, vm);
    else if (e == EAGAIN)
        dp_err_set(err,
                   "%s on %s: the socket's queue is full; too many clients wait for QEMU, "
                   "or QEMU is hung (deskpool-hv vm kill %s)",
                   what, path, vm);
    else
        dp_err_errno(err, "%s on %s: cannot connect", what, path);
    return -1;
}

enum jsonwire_kind jsonchan_pull(struct jsonwire *w, struct evbuffer *in, json_t **msg)
{
    *msg = NULL;
    for (;;) {
        size_t have = evbuffer_get_length(in);
        /* One message plus its '{' lookahead is all the scanner needs to decide. */
        size_t window = have < w->max_len + 1 ? have : w->max_len + 1;
        const uint8_t *buf = window ? evbuffer_pullup(in, (ev_ssize_t)window) : NULL;
        struct jsonwire_token t;

        if (window && !buf)
            return JSONWIRE_NEED_MORE; /* out of memory: leave the bytes, try on next read */
        jsonwire_next(w, buf, window, &t);
        if (t.kind == JSONWIRE_MESSAGE) {
            json_error_t jerr;
            json_t *v = json_loadb((const char *)buf + t.start, t.len, 0, &jerr);
            evbuffer_drain(in, t.consumed);
            if (!v || !json_is_object(v)) {
                json_decref(v);
                return JSONWIRE_MALFORMED;
            }
            *msg = v;
            return JSONWIRE_MESSAGE;
        }
        evbuffer_drain(in, t.consumed);
        if (t.kind != JSONWIRE_NEED_MORE)
            return t.kind;
        /* Only whitespace was dropped, and the window was cut short: look again. */
        if (t.consumed == 0 || window == have)
            return JSONWIRE_NEED_MORE;
    }
}

int jsonchan_send(struct bufferevent *bev, const json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    if (!text)
        return -1;
    size_t len = strlen(text);
    int rc = bufferevent_write(bev, text, len);
    if (rc == 0)
        rc = bufferevent_write(bev, "\n", 1);
    explicit_bzero(text, len);
    free(text);
    return rc;
}

void jsonchan_ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO))
        signal(SIGPIPE, SIG_IGN);
}
