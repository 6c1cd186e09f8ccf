/* SPDX-License-Identifier: Apache-2.0 */
#include "check_x224.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t x224_probe_request[19] = {
    0x03, 0x00, 0x00, 0x13,                         /* TPKT, length 19 */
    0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,       /* X.224 CR, no cookie */
    0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, /* RDP_NEG_REQ: SSL|HYBRID */
};

int x224_cc_parse(const uint8_t *buf, size_t len, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (len >= 1 && buf[0] != 0x03) {
        *why = "not a TPKT (first byte is not 3)";
        return -1;
    }
    if (len < 4)
        return 0;
    size_t tpkt_len = ((size_t)buf[2] << 8) | buf[3];
    if (tpkt_len < 11 || tpkt_len > 1024) {
        *why = "TPKT length out of range for a Connection Confirm";
        return -1;
    }
    if (len >= 5 && (size_t)buf[4] + 5 > tpkt_len) {
        *why = "X.224 length indicator exceeds the TPKT";
        return -1;
    }
    if (len >= 6 && (buf[5] & 0xf0) != 0xd0) {
        *why = "X.224 PDU is not a Connection Confirm";
        return -1;
    }
    if (len < tpkt_len)
        return 0;
    return 1;
}

struct probe {
    struct bufferevent *bev;
    struct event *timer;
    check_cb cb;
    void *arg;
    char host[64];
    int port;
};

static void probe_finish(struct probe *pr, int ok, const char *detail)
{
    check_cb cb = pr->cb;
    void *arg = pr->arg;
    bufferevent_free(pr->bev);
    event_free(pr->timer);
    free(pr);
    cb(ok, detail, arg);
}

static void on_read(struct bufferevent *bev, void *ctx)
{
    struct probe *pr = ctx;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    const uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)(len < 1024 ? len : 1024));
    const char *why = NULL;
    int r = x224_cc_parse(buf, len < 1024 ? len : 1024, &why);
    if (r == 1)
        probe_finish(pr, 1, "X.224 Connection Confirm received");
    else if (r < 0)
        probe_finish(pr, 0, why);
}

static void on_event(struct bufferevent *bev, short what, void *ctx)
{
    struct probe *pr = ctx;
    if (what & BEV_EVENT_CONNECTED) {
        bufferevent_write(bev, x224_probe_request, sizeof x224_probe_request);
        return;
    }
    /* slirp accepts and then closes when nothing listens in the guest: this is that case. */
    probe_finish(pr, 0,
                 (what & BEV_EVENT_EOF)
                     ? "connection closed before a Connection Confirm"
                     : "connection refused or reset before a Connection Confirm");
}

static void on_timeout(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    probe_finish(ctx, 0, "no Connection Confirm before the deadline");
}

int check_x224_start(struct event_base *base, const char *host, int port, int timeout_ms,
                     check_cb cb, void *arg)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    struct probe *pr = calloc(1, sizeof *pr);
    if (!pr)
        return -1;
    pr->cb = cb;
    pr->arg = arg;
    pr->port = port;
    snprintf(pr->host, sizeof pr->host, "%s", host);
    pr->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    pr->timer = evtimer_new(base, on_timeout, pr);
    if (!pr->bev || !pr->timer) {
        if (pr->bev)
            bufferevent_free(pr->bev);
        if (pr->timer)
            event_free(pr->timer);
        free(pr);
        return -1;
    }
    bufferevent_setcb(pr->bev, on_read, NULL, on_event, pr);
    bufferevent_enable(pr->bev, EV_READ);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(pr->timer, &tv);
    if (bufferevent_socket_connect(pr->bev, (struct sockaddr *)&sa, sizeof sa) != 0) {
        /* Immediate failure: report it from the loop so cb never runs inside this call. */
        event_active(pr->timer, EV_TIMEOUT, 0);
    }
    return 0;
}

struct sync_result {
    int done, ok;
    char *detail;
    size_t cap;
};

static void sync_cb(int ok, const char *detail, void *arg)
{
    struct sync_result *r = arg;
    r->done = 1;
    r->ok = ok;
    if (r->detail && r->cap)
        snprintf(r->detail, r->cap, "%s", detail);
}

int check_x224(const char *host, int port, int timeout_ms, char *detail, size_t cap)
{
    struct event_base *base = event_base_new();
    struct sync_result r = {0, 0, detail, cap};
    if (!base || check_x224_start(base, host, port, timeout_ms, sync_cb, &r) != 0) {
        if (base)
            event_base_free(base);
        if (detail && cap)
            snprintf(detail, cap, "cannot start probe of %s:%d", host, port);
        return 0;
    }
    while (!r.done)
        event_base_loop(base, EVLOOP_ONCE);
    event_base_free(base);
    return r.ok;
}
