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
 * The daemon's one context: options, TLS files, the session table and the connection
 * processes. Each connection runs in its own process, forked by the listener: a client that
 * crashes FreeRDP or makes it leak takes only its own process down. The listener (which
 * never runs FreeRDP code on network input) owns the session table: it tells each new
 * connection which session to show (a disconnected one of the same user is resumed), keeps
 * a copy of what each session's desktop shows, and marks a session disconnected when its
 * connection's socket closes, however the process ended. Only a logoff ends a session.
 */

enum { DESKTOP_MAX_PEERS = 8 };

struct conn {
    pid_t pid;            /* 0 = free slot */
    int fd;               /* listener's end of its socketpair (report.h); -1 once closed */
    uint64_t deadline_ms; /* monotonic; 0 once the client reached its desktop */
    int killed;           /* deadline passed, SIGKILL sent */
    int session_id;       /* the session it shows; 0 = none (yet, or any more) */
    char addr[80];
};

struct desktop {
    /* options */
    unsigned port;
    char bind[64];
    char sam_path[PATH_MAX];
    char users_path[PATH_MAX];
    char control_path[PATH_MAX]; /* "" = next to the users file */
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
    int control_fd; /* -1 = none */
    volatile sig_atomic_t stop;
};

/* server.c: listens until d->stop; returns non-zero if the port could not be opened. */
int desktop_serve(struct desktop *d);

/* peer.c: serves one accepted connection (in its own process) until it ends. Talks to the
 * listener over ctl_fd (report.h). */
struct rdp_freerdp_peer;
void desktop_peer_run(struct desktop *d, int ctl_fd, struct rdp_freerdp_peer *peer);

#endif
