/* SPDX-License-Identifier: Apache-2.0 */
/* The listener: accepts connections, gives each a thread and a slot, enforces deadlines. */
#include <freerdp/listener.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <winpr/synch.h>

#include "desktop.h"
#include "files.h"
#include "log.h"

struct peer_start {
    struct desktop *d;
    struct peer_slot *slot;
    freerdp_peer *peer;
};

static void *peer_thread(void *arg)
{
    struct peer_start start = *(struct peer_start *)arg;
    free(arg);
    desktop_peer_run(start.d, start.slot, start.peer);
    return NULL;
}

void desktop_slot_handshake_done(struct desktop *d, struct peer_slot *slot)
{
    pthread_mutex_lock(&d->mu);
    slot->deadline_ms = 0;
    pthread_mutex_unlock(&d->mu);
}

void desktop_slot_release(struct desktop *d, struct peer_slot *slot)
{
    pthread_mutex_lock(&d->mu);
    slot->used = 0;
    slot->fd = -1;
    pthread_mutex_unlock(&d->mu);
}

int desktop_slot_timed_out(struct desktop *d, struct peer_slot *slot)
{
    pthread_mutex_lock(&d->mu);
    int t = slot->timed_out;
    pthread_mutex_unlock(&d->mu);
    return t;
}

/* Called by FreeRDP for each accepted TCP connection, on the listener thread. */
static BOOL on_accept(freerdp_listener *listener, freerdp_peer *peer)
{
    struct desktop *d = listener->param1;
    struct peer_slot *slot = NULL;

    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < DESKTOP_MAX_PEERS && !slot; i++)
        if (!d->slots[i].used)
            slot = &d->slots[i];
    if (slot) {
        slot->used = 1;
        slot->fd = peer->sockfd;
        slot->timed_out = 0;
        slot->deadline_ms = dp_now_ms() + (uint64_t)d->handshake_timeout_s * 1000;
        snprintf(slot->addr, sizeof slot->addr, "%s", peer->hostname);
    }
    pthread_mutex_unlock(&d->mu);

    if (!slot) {
        /* Returning FALSE makes FreeRDP close and free the connection. */
        log_warn("%s: refused: %d connections are already being served", peer->hostname,
                 DESKTOP_MAX_PEERS);
        return FALSE;
    }

    struct peer_start *start = malloc(sizeof *start);
    pthread_t tid;
    pthread_attr_t attr;
    int ok = start != NULL && pthread_attr_init(&attr) == 0;
    if (ok) {
        *start = (struct peer_start){d, slot, peer};
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&tid, &attr, peer_thread, start) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!ok) {
        log_error("%s: refused: cannot start a thread for it (out of memory?)", peer->hostname);
        free(start);
        desktop_slot_release(d, slot);
        return FALSE;
    }
    return TRUE;
}

/*
 * FreeRDP runs the TLS and NLA handshakes with blocking reads, so a client that goes
 * silent mid-handshake would hold its thread and slot forever. Shutting the socket down
 * from here wakes that read with an error and the peer thread ends as for any disconnect.
 */
static void enforce_deadlines(struct desktop *d)
{
    uint64_t now = dp_now_ms();
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < DESKTOP_MAX_PEERS; i++) {
        struct peer_slot *s = &d->slots[i];
        if (!s->used || s->timed_out || s->deadline_ms == 0 || now < s->deadline_ms)
            continue;
        log_warn("%s: no desktop after %d s (handshake or login stalled); closing", s->addr,
                 d->handshake_timeout_s);
        shutdown(s->fd, SHUT_RDWR);
        s->timed_out = 1;
    }
    pthread_mutex_unlock(&d->mu);
}

int desktop_serve(struct desktop *d)
{
    freerdp_listener *listener = freerdp_listener_new();
    if (!listener) {
        log_error("cannot create the RDP listener (out of memory?)");
        return -1;
    }
    listener->param1 = d;
    listener->PeerAccepted = on_accept;
    if (!listener->Open(listener, d->bind[0] ? d->bind : NULL, (UINT16)d->port)) {
        log_error("cannot listen on %s port %u: is another RDP server running there? "
                  "(choose another with --port)",
                  d->bind[0] ? d->bind : "all addresses", d->port);
        freerdp_listener_free(listener);
        return -1;
    }
    log_info("listening on %s port %u", d->bind[0] ? d->bind : "all addresses", d->port);

    int rc = 0;
    while (!d->stop) {
        HANDLE handles[32];
        DWORD count = listener->GetEventHandles(listener, handles, 32);
        if (count == 0) {
            log_error("the RDP listener has no sockets left");
            rc = -1;
            break;
        }
        /* Wake twice a second to check deadlines and the stop flag. */
        if (WaitForMultipleObjects(count, handles, FALSE, 500) == WAIT_FAILED && !d->stop) {
            log_error("waiting for connections failed");
            rc = -1;
            break;
        }
        if (!listener->CheckFileDescriptor(listener))
            log_warn("accepting a connection failed; still listening");
        enforce_deadlines(d);
    }
    listener->Close(listener);
    freerdp_listener_free(listener);
    return rc;
}
