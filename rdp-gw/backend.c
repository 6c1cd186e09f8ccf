/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM side of a connection: TCP, X.224 with the client's original requestedProtocols
 * (the VM echoes them to the client in its GCC Conference Create Response, and the client
 * checks), TLS as client, CredSSP as client with the one-time credential the broker set in
 * the VM, and the Early User Authorization Result when the VM chose HYBRID_EX. Routing-token
 * connections skip all of that: the client's own first bytes go to the VM and the two are
 * spliced (TLS end to end).
 */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <openssl/err.h>

#include "credssp_client.h"
#include "log.h"
#include "tsrequest.h"
#include "x224.h"

#define EARLY_AUTH_SIZE 4
#define AUTHZ_SUCCESS 0u

static const char *back_stage_name(enum gw_back_stage s)
{
    static const char *names[] = {"TCP connect", "X.224 negotiation", "TLS handshake", "NLA login",
                                  "early user authorization"};
    return names[s];
}

static void back_fail(struct gw_conn *c, const char *what)
{
    char msg[1200];
    c->ctx->metrics.backend_failures++;
    snprintf(msg, sizeof msg, "vm %s at %s:%d failed in %s: %s", c->vm, c->vm_host, c->vm_port,
             back_stage_name(c->back_stage), what);
    log_warn("conn %llu: %s", (unsigned long long)c->id, msg);
    gw_conn_close(c, msg);
}

static void on_back_cssp(struct bufferevent *bev, void *arg);
static void on_back_early(struct bufferevent *bev, void *arg);

static void on_back_event(struct bufferevent *bev, short events, void *arg)
{
    struct gw_conn *c = arg;
    if (events & BEV_EVENT_CONNECTED) {
        if (c->back_stage == GW_BK_CONNECT) {
            if (c->raw) {
                /* Routing token: the VM sees exactly what the client sent. */
                bufferevent_write(c->back, c->first, c->first_len);
                gw_relay_start(c);
                return;
            }
            struct gw_x224_cr cr = {0};
            struct dp_err err = {0};
            cr.line_kind = GW_X224_LINE_USER;
            snprintf(cr.value, sizeof cr.value, "%s", c->vm_user);
            cr.value_len = strlen(cr.value);
            cr.has_neg_req = 1;
            cr.requested_protocols = c->d.cr.requested_protocols;
            cr.has_correlation = c->d.cr.has_correlation;
            cr.neg_flags = cr.has_correlation ? GW_NEG_CORRELATION_INFO_PRESENT : 0;
            memcpy(cr.correlation_id, c->d.cr.correlation_id, sizeof cr.correlation_id);
            uint8_t buf[GW_X224_CR_MAX];
            int n = gw_x224_cr_build(&cr, buf, sizeof buf, &err);
            if (n < 0) {
                back_fail(c, dp_err_msg(&err));
                return;
            }
            c->back_stage = GW_BK_X224;
            bufferevent_write(c->back, buf, (size_t)n);
            return;
        }
        if (c->back_stage == GW_BK_TLS) {
            struct gw_pubkey pub = {0};
            struct dp_err err = {0};
            char *dom = NULL, *user = c->vm_user;
            char *bs = strchr(c->vm_user, '\\');
            if (bs) { /* DOMAIN\user */
                *bs = '\0';
                dom = c->vm_user;
                user = bs + 1;
            }
            if (gw_tls_peer_pubkey(bufferevent_openssl_get_ssl(c->back), &pub, &err) == 0)
                c->bcssp = gw_cssp_client_new(user, dom ? dom : "", c->vm_password, &pub, &err);
            gw_pubkey_free(&pub);
            gw_conn_forget_vm_credential(c); /* the CredSSP client holds the only copy now */
            if (!c->bcssp) {
                back_fail(c, dp_err_msg(&err));
                return;
            }
            struct evbuffer *out = evbuffer_new();
            int step = gw_cssp_client_start(c->bcssp, out, &err);
            bufferevent_write_buffer(c->back, out);
            evbuffer_free(out);
            if (step != GW_CSSP_SEND) {
                back_fail(c, dp_err_msg(&err));
                return;
            }
            c->back_stage = GW_BK_CREDSSP;
            bufferevent_setcb(c->back, on_back_cssp, NULL, on_back_event, c);
            return;
        }
        return;
    }
    char why[300];
    unsigned long e = bufferevent_get_openssl_error(bev);
    int dnserr = bufferevent_socket_get_dns_error(bev);
    if (dnserr)
        snprintf(why, sizeof why, "cannot resolve the VM's host (%s)", evutil_gai_strerror(dnserr));
    else if (e) {
        char tls[200];
        ERR_error_string_n(e, tls, sizeof tls);
        snprintf(why, sizeof why, "TLS error %s", tls);
    } else if (events & BEV_EVENT_EOF)
        snprintf(why, sizeof why, "the VM closed the connection%s",
                 c->back_stage == GW_BK_CREDSSP ? " (it did not take the injected login: "
                                                  "was guest-set-user-password applied?)"
                                                : "");
    else
        snprintf(why, sizeof why, "connection error (is the VM's RDP server up?)");
    back_fail(c, why);
}

static void switch_to_tls(struct gw_conn *c)
{
    evutil_socket_t fd = bufferevent_getfd(c->back);
    bufferevent_free(c->back); /* a plain one: the socket stays open */
    c->back = NULL;
    SSL *ssl = SSL_new(c->ctx->back_ssl);
    if (ssl)
        c->back = bufferevent_openssl_socket_new(c->ctx->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
    if (!c->back) {
        if (ssl)
            SSL_free(ssl);
        evutil_closesocket(fd);
        back_fail(c, "cannot start TLS (out of memory)");
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(c->back, 1);
    c->back_stage = GW_BK_TLS;
    bufferevent_setcb(c->back, NULL, NULL, on_back_event, c);
    bufferevent_setwatermark(c->back, EV_READ, 0, (size_t)c->ctx->cfg->relay_buffer_kb * 1024);
    bufferevent_enable(c->back, EV_READ | EV_WRITE);
}

static void on_back_x224(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    if (c->back_stage != GW_BK_X224)
        return;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t have = evbuffer_get_length(in), used = 0;
    struct gw_x224_cc cc;
    struct dp_err err = {0};
    int rc = gw_x224_cc_parse(evbuffer_pullup(in, (ev_ssize_t)have), have, &cc, &used, &err);
    if (rc == GW_NEED_MORE)
        return;
    if (rc == GW_ERROR || used != have) {
        back_fail(c, rc == GW_ERROR ? dp_err_msg(&err) : "data after the Connection Confirm");
        return;
    }
    evbuffer_drain(in, used);
    if (cc.kind == GW_X224_CC_NEG_FAILURE) {
        char msg[200];
        snprintf(msg, sizeof msg, "the VM refused the negotiation (RDP_NEG_FAILURE code %u)",
                 cc.failure_code);
        back_fail(c, msg);
        return;
    }
    if (cc.kind != GW_X224_CC_NEG_RSP || (cc.selected_protocol != GW_PROTOCOL_HYBRID &&
                                          cc.selected_protocol != GW_PROTOCOL_HYBRID_EX)) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the VM selected protocol 0x%x; credential injection needs NLA (HYBRID): "
                 "enable NLA in the template's RDP server",
                 cc.kind == GW_X224_CC_NEG_RSP ? cc.selected_protocol : 0);
        back_fail(c, msg);
        return;
    }
    c->back_selected = cc.selected_protocol;
    bufferevent_disable(c->back, EV_READ);
    switch_to_tls(c);
}

static void on_back_cssp(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (c->back_stage == GW_BK_CREDSSP && !c->closing) {
        size_t have = evbuffer_get_length(in), total = 0;
        struct dp_err err = {0};
        size_t head = have < 6 ? have : 6;
        int fr = gw_tsrequest_frame_len(evbuffer_pullup(in, (ev_ssize_t)head), head, &total, &err);
        if (fr == GW_NEED_MORE || (fr == GW_OK && have < total))
            return;
        if (fr == GW_ERROR) {
            back_fail(c, dp_err_msg(&err));
            return;
        }
        struct evbuffer *out = evbuffer_new();
        int step = gw_cssp_client_input(c->bcssp, evbuffer_pullup(in, (ev_ssize_t)total), total,
                                        out, &err);
        evbuffer_drain(in, total);
        bufferevent_write_buffer(c->back, out);
        evbuffer_free(out);
        if (step == GW_CSSP_SEND)
            continue;
        if (step != GW_CSSP_DONE) {
            back_fail(c, dp_err_msg(&err));
            return;
        }
        gw_cssp_client_free(c->bcssp);
        c->bcssp = NULL;
        if (c->back_selected == GW_PROTOCOL_HYBRID_EX) {
            c->back_stage = GW_BK_EARLY_AUTH;
            bufferevent_setcb(c->back, on_back_early, NULL, on_back_event, c);
            on_back_early(bev, c);
            return;
        }
        gw_relay_start(c);
        return;
    }
}

/* HYBRID_EX: the VM says whether the user may log on before anything else (MS-RDPBCGR
 * 2.2.10.2). The client negotiated its own protocol with the gateway, so this is ours. */
static void on_back_early(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (evbuffer_get_length(in) < EARLY_AUTH_SIZE)
        return;
    uint8_t r[EARLY_AUTH_SIZE];
    evbuffer_remove(in, r, sizeof r);
    uint32_t v = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
    if (v != AUTHZ_SUCCESS) {
        char msg[100];
        snprintf(msg, sizeof msg, "the VM denied the logon (Early User Authorization 0x%08x)", v);
        back_fail(c, msg);
        return;
    }
    gw_relay_start(c);
}

void gw_backend_start(struct gw_conn *c)
{
    c->back_stage = GW_BK_CONNECT;
    if (c->raw || gw_vm_login_begin(c))
        gw_backend_connect(c);
}

void gw_backend_connect(struct gw_conn *c)
{
    c->back = bufferevent_socket_new(c->ctx->base, -1, 0);
    if (!c->back) {
        back_fail(c, "out of memory");
        return;
    }
    bufferevent_setcb(c->back, on_back_x224, NULL, on_back_event, c);
    bufferevent_setwatermark(c->back, EV_READ, 0, (size_t)c->ctx->cfg->relay_buffer_kb * 1024);
    bufferevent_enable(c->back, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect_hostname(c->back, c->ctx->dns, AF_UNSPEC, c->vm_host,
                                            c->vm_port) != 0)
        back_fail(c, "cannot start the TCP connection");
}
