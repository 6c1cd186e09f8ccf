/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_DESKTOP_H
#define DESKPOOL_DESKTOP_DESKTOP_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "sessions_file.h"

/* The daemon's one context: options, TLS files, the published session list, peer slots. */

enum { DESKTOP_MAX_PEERS = 8 };

/*
 * One connection being served. The listener thread owns the table and enforces the
 * handshake deadline: it may shut a slot's socket down (never close it) while the slot is
 * used; the peer thread frees its slot before its socket is closed.
 */
struct peer_slot {
    int used;
    int fd;
    uint64_t deadline_ms; /* monotonic; 0 once the client reached its desktop */
    int timed_out;
    char addr[64];
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

    pthread_mutex_t mu; /* guards slots */
    struct peer_slot slots[DESKTOP_MAX_PEERS];
    volatile sig_atomic_t stop;
};

/* server.c: listens until d->stop; returns non-zero if the port could not be opened. */
int desktop_serve(struct desktop *d);

/* peer.c: serves one accepted connection on the calling thread, then frees it. */
struct rdp_freerdp_peer;
void desktop_peer_run(struct desktop *d, struct peer_slot *slot, struct rdp_freerdp_peer *peer);

/* Marks a slot's handshake as finished (no deadline any more). */
void desktop_slot_handshake_done(struct desktop *d, struct peer_slot *slot);
/* Releases a slot; call before the socket is closed. */
void desktop_slot_release(struct desktop *d, struct peer_slot *slot);
/* Whether the listener cut this connection for missing its handshake deadline. */
int desktop_slot_timed_out(struct desktop *d, struct peer_slot *slot);

#endif
