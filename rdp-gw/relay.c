/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay, once both sides are logged in: bytes both ways through bounded buffers (a
 * side that cannot keep up stops the other side's reads, the le-proxy way), with two edits
 * on the NLA path: the client's MCS Connect Initial gets the VM's selected protocol (and
 * loses multitransport and redirection support), and Server Redirection PDUs from the VM
 * are dropped so no client is ever sent around the gateway.
 */
#include "gw.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "files.h"
#include "log.h"
#include "mcs_patch.h"
#include "redirect_detect.h"

static size_t high_mark(const struct gw_conn *c)
{
    return (size_t)c->ctx->cfg->relay_buffer_kb * 1024;
}

/* Activity for the idle timeout is what the user does: bytes from the client. A desktop
 * that redraws a clock (or any server keep-alive) sends every few seconds, so counting the
 * VM's bytes too would keep every session "busy" forever. */
static void touch(struct gw_conn *c)
{
    c->last_activity_ms = dp_now_ms();
}

/* dst's output is over the mark: stop reading from src until dst drains (write cb). */
static void throttle(struct gw_conn *c, struct bufferevent *src, struct bufferevent *dst)
{
    if (evbuffer_get_length(bufferevent_get_output(dst)) >= high_mark(c))
        bufferevent_disable(src, EV_READ);
}

static void on_c2s(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(c->front);
    struct evbuffer *out = bufferevent_get_output(c->back);
    touch(c);
    if (!c->raw && !c->mcs_patched) {
        size_t have = evbuffer_get_length(in);
        if (have == 0)
            return;
        struct gw_mcs_patch_report rep;
        struct dp_err err = {0};
        uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)have);
        int rc = gw_mcs_patch_connect_initial(p, have, c->back_selected, &rep, &err);
        if (rc == GW_NEED_MORE) {
            if (have >= high_mark(c))
                gw_conn_close(c, "client's MCS Connect Initial does not fit the relay buffer");
            return;
        }
        if (rc == GW_ERROR) {
            c->ctx->metrics.protocol_errors++;
            char msg[1100];
            snprintf(msg, sizeof msg, "client's first PDU is not a valid MCS Connect Initial: %s",
                     dp_err_msg(&err));
            gw_conn_close(c, msg);
            return;
        }
        log_debug("conn %llu: MCS Connect Initial patched (selected protocol 0x%x -> 0x%x%s%s)",
                  (unsigned long long)c->id, rep.old_selected_protocol, c->back_selected,
                  rep.multitransport_patched ? ", multitransport off" : "",
                  rep.cluster_patched ? ", redirection off" : "");
        c->mcs_patched = 1;
    }
    size_t n = evbuffer_get_length(in);
    c->bytes_c2s += n;
    c->ctx->metrics.bytes_client_to_vm += n;
    evbuffer_add_buffer(out, in);
    throttle(c, c->front, c->back);
}

static void on_s2c(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(c->back);
    struct evbuffer *out = bufferevent_get_output(c->front);
    if (c->raw) {
        size_t n = evbuffer_get_length(in);
        c->bytes_s2c += n;
        c->ctx->metrics.bytes_vm_to_client += n;
        evbuffer_add_buffer(out, in);
        throttle(c, c->back, c->front);
        return;
    }
    for (;;) {
        size_t have = evbuffer_get_length(in);
        if (have == 0)
            break;
        struct gw_s2c_pdu pdu;
        struct dp_err err = {0};
        int rc = gw_redirect_detect(evbuffer_pullup(in, (ev_ssize_t)have), have, GW_MCS_IO_CHANNEL,
                                    &pdu, &err);
        if (rc == GW_NEED_MORE) {
            if (have >= high_mark(c))
                gw_conn_close(c, "VM sent a PDU larger than the relay buffer");
            break;
        }
        if (rc == GW_ERROR) {
            char msg[1100];
            snprintf(msg, sizeof msg, "VM sent a PDU the relay cannot frame: %s", dp_err_msg(&err));
            gw_conn_close(c, msg);
            return;
        }
        if (pdu.redirect) {
            c->ctx->metrics.redirects_dropped++;
            log_warn("conn %llu: dropped a Server Redirection PDU from vm %s (the gateway "
                     "must stay in the path)",
                     (unsigned long long)c->id, c->vm);
            evbuffer_drain(in, pdu.len);
            continue;
        }
        c->bytes_s2c += pdu.len;
        c->ctx->metrics.bytes_vm_to_client += pdu.len;
        evbuffer_remove_buffer(in, out, pdu.len);
    }
    throttle(c, c->back, c->front);
}

/* A side drained below the low mark: let the other side read again. */
static void on_front_drained(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    if (c->back && !(bufferevent_get_enabled(c->back) & EV_READ)) {
        bufferevent_enable(c->back, EV_READ);
        on_s2c(c->back, c); /* bytes may already wait in its input */
    }
}

static void on_back_drained(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    if (c->front && !(bufferevent_get_enabled(c->front) & EV_READ)) {
        bufferevent_enable(c->front, EV_READ);
        on_c2s(c->front, c);
    }
}

static void close_when_drained(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        gw_conn_close(c, bev == c->front ? "VM ended the session" : "client ended the session");
}

static void on_relay_event(struct bufferevent *bev, short events, void *arg)
{
    struct gw_conn *c = arg;
    int from_vm = bev == c->back;
    struct bufferevent *other = from_vm ? c->front : c->back;
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        /* Pass on what the closing side said last (a VM's logoff PDUs, say), then close. */
        if (from_vm)
            on_s2c(bev, c);
        else
            on_c2s(bev, c);
        if (c->closing)
            return;
        /* Also after a reset: the other side is fine, and a desktop that logs the user off may
         * reset its end right after its last PDU (slirp passes the guest's reset on). */
        if (evbuffer_get_length(bufferevent_get_output(other)) > 0) {
            bufferevent_disable(bev, EV_READ);
            bufferevent_disable(other, EV_READ);
            bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
            bufferevent_setcb(other, NULL, close_when_drained, on_relay_event, c);
            bufferevent_setwatermark(other, EV_WRITE, 0, 0);
            return;
        }
        gw_conn_close(
            c, from_vm ? (events & BEV_EVENT_ERROR ? "VM connection error" : "VM ended the session")
                       : (events & BEV_EVENT_ERROR ? "client connection error"
                                                   : "client ended the session"));
    }
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    struct gw_conn *c = arg;
    uint64_t limit = (uint64_t)c->ctx->cfg->idle_timeout_s * 1000;
    uint64_t quiet = dp_now_ms() - c->last_activity_ms;
    if (quiet >= limit) {
        c->ctx->metrics.idle_timeouts++;
        char why[160];
        snprintf(why, sizeof why,
                 "idle timeout: no input from the client for %d s ([limits] "
                 "idle_timeout)",
                 c->ctx->cfg->idle_timeout_s);
        gw_conn_close(c, why);
        return;
    }
    uint64_t left = limit - quiet;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
    evtimer_add(c->idle, &tv);
}

void gw_relay_start(struct gw_conn *c)
{
    struct gw_ctx *ctx = c->ctx;
    gw_vm_login_end(c); /* the next one in line may log in to its VM now */
    evtimer_del(c->deadline);
    c->stage = GW_ST_RELAY;
    ctx->metrics.sessions_total++;
    ctx->metrics.sessions_active++;
    gw_metrics_observe_handshake(&ctx->metrics, (double)(dp_now_ms() - c->accepted_ms) / 1000.0);
    log_info("conn %llu %s: user \"%s\" relayed to vm %s (%s, %llu ms after connect)",
             (unsigned long long)c->id, c->peer, c->user, c->vm,
             c->raw ? "routing token, end-to-end TLS" : "NLA with injected credentials",
             (unsigned long long)(dp_now_ms() - c->accepted_ms));

    if (!c->raw && c->front_selected == GW_PROTOCOL_HYBRID_EX) {
        static const uint8_t authz_success[4] = {0, 0, 0, 0};
        bufferevent_write(c->front, authz_success, sizeof authz_success);
    }
    size_t hw = high_mark(c);
    bufferevent_setcb(c->front, on_c2s, on_front_drained, on_relay_event, c);
    bufferevent_setcb(c->back, on_s2c, on_back_drained, on_relay_event, c);
    bufferevent_setwatermark(c->front, EV_READ, 0, hw);
    bufferevent_setwatermark(c->back, EV_READ, 0, hw);
    bufferevent_setwatermark(c->front, EV_WRITE, hw / 2, 0);
    bufferevent_setwatermark(c->back, EV_WRITE, hw / 2, 0);
    bufferevent_enable(c->front, EV_READ | EV_WRITE);
    bufferevent_enable(c->back, EV_READ | EV_WRITE);
    if (ctx->cfg->idle_timeout_s > 0) {
        c->idle = evtimer_new(ctx->base, on_idle, c);
        struct timeval tv = {ctx->cfg->idle_timeout_s, 0};
        if (c->idle)
            evtimer_add(c->idle, &tv);
    }
    gw_session_report(c, "connected");
    /* What arrived while the VM was being logged in (the MCS Connect Initial). */
    if (evbuffer_get_length(bufferevent_get_input(c->front)))
        on_c2s(c->front, c);
    if (!c->closing && evbuffer_get_length(bufferevent_get_input(c->back)))
        on_s2c(c->back, c);
}
