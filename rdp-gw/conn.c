/* SPDX-License-Identifier: Apache-2.0 */
/* A client connection's lifecycle: admission, deadlines, teardown. */
#include "gw.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include "broker_client.h"
#include "credssp_client.h"
#include "credssp_server.h"
#include "files.h"
#include "gw_limits.h"
#include "log.h"

static void addr_strings(const struct sockaddr *sa, char *source, size_t scap, char *peer,
                         size_t pcap)
{
    char host[64] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(peer, pcap, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(peer, pcap, "[%s]:%d", host, port);
    } else {
        snprintf(peer, pcap, "?");
    }
    snprintf(source, scap, "%s", host);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct gw_conn *c = arg;
    if (c->stage <= GW_ST_HASH) {
        c->ctx->metrics.handshake_timeouts++;
        gw_conn_close(c, "handshake deadline passed (client too slow or silent)");
    } else {
        c->ctx->metrics.desktops_unavailable++;
        gw_conn_close(c, "no desktop ready in time ([limits] desktop_wait); check the pool");
    }
}

struct gw_conn *gw_conn_new(struct gw_ctx *ctx, evutil_socket_t fd, const struct sockaddr *sa,
                            int salen)
{
    char source[64], peer[80];
    addr_strings(sa, source, sizeof source, peer, sizeof peer);
    ctx->metrics.connections_total++;
    int adm = gw_limits_admit(ctx->limits, source);
    if (adm != 0) {
        ctx->metrics.connections_limited++;
        log_warn("connection from %s refused: %s", peer,
                 adm == 1   ? "max_connections reached ([limits] max_connections)"
                 : adm == 2 ? "too many connections from that address ([limits] max_per_source)"
                            : "out of memory");
        evutil_closesocket(fd);
        return NULL;
    }
    struct gw_conn *c = calloc(1, sizeof *c);
    if (!c) {
        gw_limits_release(ctx->limits, source);
        evutil_closesocket(fd);
        return NULL;
    }
    c->ctx = ctx;
    c->id = ++ctx->next_id;
    memcpy(c->source, source, sizeof c->source);
    memcpy(c->peer, peer, sizeof c->peer);
    c->accepted_ms = c->last_activity_ms = dp_now_ms();
    c->deadline = evtimer_new(ctx->base, on_deadline, c);
    c->front = bufferevent_socket_new(ctx->base, fd, 0);
    if (!c->deadline || !c->front) {
        if (c->front)
            bufferevent_free(c->front);
        c->front = NULL;
        evutil_closesocket(fd);
        if (c->deadline)
            event_free(c->deadline);
        gw_limits_release(ctx->limits, source);
        free(c);
        return NULL;
    }
    c->next = ctx->conns;
    if (ctx->conns)
        ctx->conns->prev = c;
    ctx->conns = c;
    ctx->metrics.connections_active++;
    if (ctx->metrics.connections_active > ctx->conns_peak)
        ctx->conns_peak = ctx->metrics.connections_active;
    gw_conn_arm_deadline(c, ctx->cfg->handshake_timeout_s);
    log_debug("conn %llu: accepted from %s", (unsigned long long)c->id, peer);
    return c;
}

void gw_conn_arm_deadline(struct gw_conn *c, int seconds)
{
    struct timeval tv = {seconds, 0};
    evtimer_add(c->deadline, &tv);
}

void gw_conn_forget_vm_credential(struct gw_conn *c)
{
    if (c->vm_password) {
        explicit_bzero(c->vm_password, strlen(c->vm_password));
        free(c->vm_password);
        c->vm_password = NULL;
    }
    free(c->vm_user);
    c->vm_user = NULL;
}

/* Frees a bufferevent; sockets of plain ones in the X.224 stages are not closed on free. */
static void free_bev(struct bufferevent *bev)
{
    if (!bev)
        return;
    evutil_socket_t fd = bufferevent_getfd(bev);
    int ssl = bufferevent_openssl_get_ssl(bev) != NULL;
    bufferevent_free(bev);
    if (!ssl && fd >= 0)
        evutil_closesocket(fd);
}

void gw_conn_close(struct gw_conn *c, const char *why)
{
    if (c->closing)
        return;
    c->closing = 1;
    struct gw_ctx *ctx = c->ctx;
    uint64_t secs = (dp_now_ms() - c->accepted_ms) / 1000;
    if (c->stage == GW_ST_RELAY)
        log_info("conn %llu %s user \"%s\" vm %s: session ended after %llu s (%s), %llu bytes in, "
                 "%llu bytes out",
                 (unsigned long long)c->id, c->peer, c->user, c->vm, (unsigned long long)secs, why,
                 (unsigned long long)c->bytes_c2s, (unsigned long long)c->bytes_s2c);
    else
        log_info("conn %llu %s%s%s%s: closed: %s", (unsigned long long)c->id, c->peer,
                 c->user[0] ? " user \"" : "", c->user, c->user[0] ? "\"" : "", why);
    if (c->session_reported)
        gw_session_report(c, "disconnected");
    if (c->stage == GW_ST_RELAY && ctx->metrics.sessions_active)
        ctx->metrics.sessions_active--;
    gw_vm_login_end(c);

    gw_broker_cancel(c->breq);
    if (c->prev)
        c->prev->next = c->next;
    else
        ctx->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free_bev(c->front);
    free_bev(c->back);
    event_free(c->deadline);
    if (c->idle)
        event_free(c->idle);
    if (c->retry)
        event_free(c->retry);
    gw_cssp_server_free(c->cssp);
    gw_cssp_client_free(c->bcssp);
    gw_conn_forget_vm_credential(c);
    if (c->held_cssp)
        evbuffer_free(c->held_cssp);
    free(c->refusal);
    gw_limits_release(ctx->limits, c->source);
    if (ctx->metrics.connections_active)
        ctx->metrics.connections_active--;
    explicit_bzero(c->first, sizeof c->first);
    free(c);
}
