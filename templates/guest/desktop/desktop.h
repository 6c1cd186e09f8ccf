/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_DESKTOP_H
#define DESKPOOL_DESKTOP_DESKTOP_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "report.h"
#include "sessions_file.h"

/*
 * The daemon's one context: options, TLS files, the published session list and the
 * connection processes. Each connection runs in its own process, forked by the listener:
 * a client that crashes FreeRDP or makes it leak takes only its own process down, and the
 * listener (which never runs FreeRDP code on network input) removes the user from the
 * users file when that process's pipe closes, however it ended.
 */

enum { DESKTOP_MAX_PEERS = 8 };

struct conn {
    pid_t pid;            /* 0 = free slot */
    int fd;               /* read end of its report pipe; -1 once closed */
    uint64_t deadline_ms; /* monotonic; 0 once the client reached its desktop */
    int killed;           /* deadline passed, SIGKILL sent */
    int session_id;       /* in the users file; 0 = none */
    char addr[80];
    char buf[REPORT_LINE_MAX];
    size_t len;
};

struct desktop {
    /* options */
    unsigned port;
    char bind[64];
    char sam_path[PATH_MAX];
    char users_path[PATH_MAX];
    char state_dir[PATH_MAX];
    int handshake_timeout_s;
    unsigned max_update_bytes; /* 0 = the client's MultifragMaxRequestSize */

    /* derived at startup */
    char crt_path[PATH_MAX];
    char key_path[PATH_MAX];
    char hostname[64];

    struct sessions sessions;
    struct conn conns[DESKTOP_MAX_PEERS];
    int listen_fds[8];
    int n_listen;
    volatile sig_atomic_t stop;
};

/* server.c: listens until d->stop; returns non-zero if the port could not be opened. */
int desktop_serve(struct desktop *d);

/* peer.c: serves one accepted connection (in its own process) until it ends. Reports the
 * login on report_fd. */
struct rdp_freerdp_peer;
void desktop_peer_run(struct desktop *d, int report_fd, struct rdp_freerdp_peer *peer);

#endif
