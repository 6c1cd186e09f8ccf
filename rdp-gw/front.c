/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of a connection up to the relay: the first PDUs (front_sm decides), TLS
 * as server, CredSSP as server with the user's hash from the broker, the login report, and
 * the desktop request. Routing tokens take a short cut to a raw splice.
 */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <winpr/nt.h>

#include "broker_client.h"
#include "credssp_server.h"
#include "files.h"
#include "log.h"
#include "tsrequest.h"

static void request_desktop(struct gw_conn *c);

static const char *stage_name(enum gw_stage s)
{
    static const char *names[] = {
        "negotiation",     "TLS handshake", "NLA",      "NLA (hash lookup)",
        "desktop request", "routing token", "VM login", "relay"};
    return names[s];
}

/* Broker error bodies are {"error": {"code", "message"}}: the message is meant for people. */
static const char *broker_message(json_t *body)
{
    json_t *e = body ? json_object_get(body, "error") : NULL;
    const char *m = e ? json_string_value(json_object_get(e, "message")) : NULL;
    return m ? m : "no message";
}

static void on_front_event(struct bufferevent *bev, short events, void *arg)
{
    struct gw_conn *c = arg;
    if (events & BEV_EVENT_CONNECTED) {
        /* TLS handshake done: NLA starts with the client's first TSRequest. */
        struct dp_err err = {0};
        c->cssp = gw_cssp_server_new(&c->ctx->front_pub, &err);
        if (!c->cssp) {
            gw_conn_close(c, dp_err_msg(&err));
            return;
        }
        c->stage = GW_ST_CREDSSP;
        return;
    }
    char why[300];
    if (events & BEV_EVENT_ERROR) {
        unsigned long e = bufferevent_get_openssl_error(bev);
        char tls[200] = "";
        if (e)
            ERR_error_string_n(e, tls, sizeof tls);
        if (c->stage == GW_ST_TLS)
            c->ctx->metrics.protocol_errors++;
        snprintf(why, sizeof why, "client connection failed during %s (%s)", stage_name(c->stage),
                 tls[0] ? tls : "socket error");
    } else {
        snprintf(why, sizeof why, "client disconnected during %s", stage_name(c->stage));
    }
    gw_conn_close(c, why);
}

static void close_when_flushed(struct bufferevent *bev, void *arg)
{
    gw_conn_close(arg, "refused in negotiation");
}

static void finish_then_close(struct gw_conn *c, const char *why, bufferevent_data_cb after)
{
    log_info("conn %llu %s: %s", (unsigned long long)c->id, c->peer, why);
    bufferevent_disable(c->front, EV_READ);
    bufferevent_setcb(c->front, NULL, after, on_front_event, c);
    if (evbuffer_get_length(bufferevent_get_output(c->front)) == 0)
        after(c->front, c);
}

/* ---- NLA ---- */

static void close_after_denial(struct bufferevent *bev, void *arg)
{
    gw_conn_close(arg, "login refused");
}

static void report_login(struct gw_conn *c, int ok)
{
    if (c->login_reported)
        return;
    c->login_reported = 1;
    json_t *b = json_pack("{s:s, s:b, s:s}", "user", c->user, "ok", ok, "client_addr", c->source);
    if (b)
        gw_broker_post(c->ctx->broker, "/gateway/login-result", b, NULL, NULL);
}

static void deny(struct gw_conn *c, const char *why)
{
    c->ctx->metrics.logins_failed++;
    report_login(c, 0);
    char msg[400];
    snprintf(msg, sizeof msg, "login of \"%s\"%s%s%s refused: %s", c->user,
             c->domain[0] ? " (domain \"" : "", c->domain, c->domain[0] ? "\")" : "", why);
    finish_then_close(c, msg, close_after_denial);
}

static void on_cssp_read(struct bufferevent *bev, void *arg);

static void handle_step(struct gw_conn *c, int step, struct evbuffer *out, struct dp_err *err)
{
    if (evbuffer_get_length(out))
        bufferevent_write_buffer(c->front, out);
    switch (step) {
    case GW_CSSP_SEND:
        c->stage = GW_ST_CREDSSP;
        break;
    case GW_CSSP_NEED_HASH: {
        const struct gw_ntlm_auth *n = gw_cssp_server_names(c->cssp);
        snprintf(c->user, sizeof c->user, "%s", n->user);
        snprintf(c->domain, sizeof c->domain, "%s", n->domain);
        c->stage = GW_ST_HASH;
        break;
    }
    case GW_CSSP_DENIED:
        deny(c, "wrong password");
        break;
    case GW_CSSP_DONE: {
        c->ctx->metrics.logins_ok++;
        report_login(c, 1);
        log_info("conn %llu %s: user \"%s\" logged in (NLA, CredSSP v%u)",
                 (unsigned long long)c->id, c->peer, c->user, gw_cssp_server_version(c->cssp));
        gw_cssp_server_free(c->cssp);
        c->cssp = NULL;
        c->stage = GW_ST_DESKTOP;
        /* From now on the client's bytes (its MCS Connect Initial) wait in the buffer
         * until the VM is ready; the relay takes them from there. */
        bufferevent_setcb(c->front, NULL, NULL, on_front_event, c);
        c->desktop_deadline_ms = dp_now_ms() + (uint64_t)c->ctx->cfg->desktop_wait_s * 1000;
        gw_conn_arm_deadline(c, c->ctx->cfg->desktop_wait_s);
        if (c->early_ready) { /* the broker answered before NLA ended */
            c->stage = GW_ST_BACKEND;
            gw_backend_start(c);
            break;
        }
        request_desktop(c);
        break;
    }
    default:
        c->ctx->metrics.protocol_errors++;
        gw_conn_close(c, dp_err_msg(err));
        break;
    }
}

static void on_hash(void *arg, int status, json_t *body, const char *why)
{
    struct gw_conn *c = arg;
    c->breq = NULL;
    uint8_t hash[16];
    const uint8_t *h = NULL;
    char reason[300] = "unknown user";

    if (status == 200) {
        const char *hex = json_string_value(json_object_get(body, "ntowfv2"));
        if (hex && strlen(hex) == 32 && strspn(hex, "0123456789abcdefABCDEF") == 32) {
            for (int i = 0; i < 16; i++) {
                unsigned v;
                sscanf(hex + 2 * i, "%2x", &v);
                hash[i] = (uint8_t)v;
            }
            h = hash;
        } else {
            gw_conn_close(c, "the broker's ntlm-hash answer has no 32-digit ntowfv2; is the "
                             "broker's API version the one docs/API.md describes?");
            return;
        }
    } else if (status == 403) {
        snprintf(reason, sizeof reason, "%s", broker_message(body));
    } else if (status != 404) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot check the password of \"%s\": broker %s%s%s", c->user,
                 status ? "answered " : "",
                 status ? ""
                 : why  ? why
                        : "unreachable",
                 status ? broker_message(body) : "");
        log_error("conn %llu: %s", (unsigned long long)c->id, msg);
        gw_conn_close(c, "broker unavailable for the login");
        return;
    }

    struct evbuffer *out = evbuffer_new();
    struct dp_err err = {0};
    int step = gw_cssp_server_set_hash(c->cssp, h, out, &err);
    explicit_bzero(hash, sizeof hash);
    if (step == GW_CSSP_DENIED) {
        if (evbuffer_get_length(out))
            bufferevent_write_buffer(c->front, out);
        evbuffer_free(out);
        deny(c, h ? "wrong password" : reason);
        return;
    }
    if (step == GW_CSSP_SEND) {
        /* The password is proven. Ask for the desktop before NLA's last message goes out:
         * a refusal (not entitled, no capacity) then reaches the client as a CredSSP error
         * code it can show, not as a connection dropped after login. */
        c->held_cssp = out;
        request_desktop(c);
        return;
    }
    handle_step(c, step, out, &err);
    evbuffer_free(out);
}

/* The early desktop answer came (ready or starting): NLA goes on. */
static void resume_nla(struct gw_conn *c)
{
    struct evbuffer *held = c->held_cssp;
    c->held_cssp = NULL;
    c->stage = GW_ST_CREDSSP;
    if (held) {
        bufferevent_write_buffer(c->front, held);
        evbuffer_free(held);
    }
    on_cssp_read(c->front, c); /* the client may have sent its next message already */
}

static void close_after_refusal(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    gw_conn_close(c, c->refusal ? c->refusal : "no desktop for the user");
}

/* No desktop for a user who authenticated: STATUS_ACCESS_DENIED in CredSSP's errorCode
 * (FreeRDP: ERRCONNECT_ACCESS_DENIED), then the connection ends. Not a failed login. */
static void refuse_after_auth(struct gw_conn *c, const char *why)
{
    c->ctx->metrics.logins_ok++;
    report_login(c, 1);
    if (c->held_cssp) {
        evbuffer_free(c->held_cssp);
        c->held_cssp = NULL;
    }
    c->refusal = strdup(why);
    struct evbuffer *out = evbuffer_new();
    struct dp_err err = {0};
    if (out) {
        gw_cssp_server_refuse(c->cssp, (uint32_t)STATUS_ACCESS_DENIED, out, &err);
        bufferevent_write_buffer(c->front, out);
        evbuffer_free(out);
    }
    bufferevent_disable(c->front, EV_READ);
    bufferevent_setcb(c->front, NULL, close_after_refusal, on_front_event, c);
    if (evbuffer_get_length(bufferevent_get_output(c->front)) == 0)
        close_after_refusal(c->front, c);
}

static void on_cssp_read(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (c->stage == GW_ST_CREDSSP && !c->closing) {
        size_t have = evbuffer_get_length(in), total = 0;
        struct dp_err err = {0};
        const uint8_t *p = evbuffer_pullup(in, have < 6 ? (ev_ssize_t)have : 6);
        int fr = gw_tsrequest_frame_len(p, have < 6 ? have : 6, &total, &err);
        if (fr == GW_NEED_MORE)
            return;
        if (fr == GW_ERROR) {
            c->ctx->metrics.protocol_errors++;
            gw_conn_close(c, dp_err_msg(&err));
            return;
        }
        if (have < total)
            return;
        p = evbuffer_pullup(in, (ev_ssize_t)total);
        struct evbuffer *out = evbuffer_new();
        int step = gw_cssp_server_input(c->cssp, p, total, out, &err);
        evbuffer_drain(in, total);
        if (step == GW_CSSP_NEED_HASH) {
            handle_step(c, step, out, &err);
            evbuffer_free(out);
            json_t *b = json_pack("{s:s, s:s}", "user", c->user, "domain", c->domain);
            c->breq =
                b ? gw_broker_post(c->ctx->broker, "/gateway/ntlm-hash", b, on_hash, c) : NULL;
            if (!c->breq)
                gw_conn_close(c, "cannot ask the broker for the user's hash");
            return;
        }
        handle_step(c, step, out, &err);
        evbuffer_free(out);
    }
}

/* ---- desktop request ---- */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    request_desktop(arg);
}

static char *dup_str(json_t *body, const char *key)
{
    const char *s = json_string_value(json_object_get(body, key));
    return s ? strdup(s) : NULL;
}

static int take_target(struct gw_conn *c, json_t *body)
{
    const char *host = json_string_value(json_object_get(body, "host"));
    json_int_t port = json_integer_value(json_object_get(body, "port"));
    const char *vm = json_string_value(json_object_get(body, "vm"));
    json_t *sid = json_object_get(body, "session_id");
    if (!host || port <= 0 || port > 65535 || strlen(host) >= sizeof c->vm_host)
        return -1;
    snprintf(c->vm_host, sizeof c->vm_host, "%s", host);
    c->vm_port = (int)port;
    snprintf(c->vm, sizeof c->vm, "%s", vm ? vm : "?");
    if (json_is_integer(sid))
        snprintf(c->session_id, sizeof c->session_id, "%lld", (long long)json_integer_value(sid));
    else if (json_is_string(sid))
        snprintf(c->session_id, sizeof c->session_id, "%s", json_string_value(sid));
    return 0;
}

static void on_desktop(void *arg, int status, json_t *body, const char *why)
{
    struct gw_conn *c = arg;
    c->breq = NULL;
    int early = c->stage == GW_ST_HASH; /* asked before NLA's last message */
    char msg[600];
    if (status == 200) {
        c->vm_user = dup_str(body, "username");
        c->vm_password = dup_str(body, "password");
        if (take_target(c, body) < 0 || !c->vm_user || !c->vm_password) {
            gw_conn_close(c, "the broker's desktop answer lacks host, port, username or "
                             "password; is its API version the one docs/API.md describes?");
            return;
        }
        log_info("conn %llu: user \"%s\" gets vm %s at %s:%d (session %s)",
                 (unsigned long long)c->id, c->user, c->vm, c->vm_host, c->vm_port,
                 c->session_id[0] ? c->session_id : "?");
        if (early) {
            c->early_ready = 1;
            resume_nla(c);
            return;
        }
        c->stage = GW_ST_BACKEND;
        gw_backend_start(c);
        return;
    }
    if (status == 202 && early) {
        resume_nla(c); /* asked again, with retries, once NLA is done */
        return;
    }
    if (status == 202) {
        json_int_t after = json_integer_value(json_object_get(body, "retry_after_s"));
        if (after < 1)
            after = 1;
        if (after > 10)
            after = 10;
        if (dp_now_ms() + (uint64_t)after * 1000 > c->desktop_deadline_ms) {
            c->ctx->metrics.desktops_unavailable++;
            gw_conn_close(c, "the desktop is still starting at [limits] desktop_wait");
            return;
        }
        if (!c->retry)
            c->retry = evtimer_new(c->ctx->base, on_retry, c);
        struct timeval tv = {(time_t)after, 0};
        if (c->retry)
            evtimer_add(c->retry, &tv);
        return;
    }
    c->ctx->metrics.desktops_unavailable++;
    if (status == 403)
        snprintf(msg, sizeof msg, "no desktop: user not entitled (%s)", broker_message(body));
    else if (status == 503)
        snprintf(msg, sizeof msg, "no desktop: no capacity (%s)", broker_message(body));
    else if (status)
        snprintf(msg, sizeof msg, "no desktop: broker answered %d (%s)", status,
                 broker_message(body));
    else
        snprintf(msg, sizeof msg, "no desktop: %s", why ? why : "broker unreachable");
    if (early)
        refuse_after_auth(c, msg);
    else
        gw_conn_close(c, msg);
}

static void request_desktop(struct gw_conn *c)
{
    json_t *b = json_pack("{s:s, s:s}", "user", c->user, "client_addr", c->source);
    if (b && c->d.pool[0])
        json_object_set_new(b, "pool", json_string(c->d.pool));
    c->breq = b ? gw_broker_post(c->ctx->broker, "/desktops/request", b, on_desktop, c) : NULL;
    if (!c->breq)
        gw_conn_close(c, "cannot ask the broker for a desktop");
}

/* ---- routing token ---- */

static void on_redeem(void *arg, int status, json_t *body, const char *why)
{
    struct gw_conn *c = arg;
    c->breq = NULL;
    if (status != 200 || take_target(c, body) < 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "routing token refused (%s)",
                 status == 403 ? broker_message(body)
                 : status      ? "bad broker answer"
                               : why);
        gw_conn_close(c, msg);
        return;
    }
    const char *user = json_string_value(json_object_get(body, "user"));
    snprintf(c->user, sizeof c->user, "%s", user ? user : "?");
    log_info("conn %llu: routing token of \"%s\" -> vm %s at %s:%d", (unsigned long long)c->id,
             c->user, c->vm, c->vm_host, c->vm_port);
    c->raw = 1;
    c->stage = GW_ST_BACKEND;
    gw_conn_arm_deadline(c, c->ctx->cfg->handshake_timeout_s);
    gw_backend_start(c);
}

/* ---- X.224 ---- */

static void start_tls(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    evutil_socket_t fd = bufferevent_getfd(c->front);
    bufferevent_free(c->front); /* a plain one: the socket stays open */
    c->front = NULL;
    SSL *ssl = SSL_new(c->ctx->front_ssl);
    if (ssl)
        c->front = bufferevent_openssl_socket_new(c->ctx->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                  BEV_OPT_CLOSE_ON_FREE);
    if (!c->front) {
        if (ssl)
            SSL_free(ssl);
        evutil_closesocket(fd);
        gw_conn_close(c, "cannot start TLS (out of memory)");
        return;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(c->front, 1);
    c->stage = GW_ST_TLS;
    bufferevent_setcb(c->front, on_cssp_read, NULL, on_front_event, c);
    bufferevent_setwatermark(c->front, EV_READ, 0, (size_t)c->ctx->cfg->relay_buffer_kb * 1024);
    bufferevent_enable(c->front, EV_READ | EV_WRITE);
}

static void on_x224_read(struct bufferevent *bev, void *arg)
{
    struct gw_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    c->first_len += evbuffer_remove(in, c->first + c->first_len, sizeof c->first - c->first_len);
    struct dp_err err = {0};
    int v = gw_front_decide(c->first, c->first_len, c->ctx->cfg->offer_hybrid_ex, &c->d, &err);
    switch (v) {
    case GW_FRONT_NEED_MORE:
        return;
    case GW_FRONT_ERROR: {
        c->ctx->metrics.protocol_errors++;
        char msg[1100];
        snprintf(msg, sizeof msg, "not an RDP client: %s", dp_err_msg(&err));
        gw_conn_close(c, msg);
        return;
    }
    case GW_FRONT_REFUSE: {
        c->ctx->metrics.negotiation_refused++;
        bufferevent_write(c->front, c->d.reply, c->d.reply_len);
        char msg[200];
        snprintf(msg, sizeof msg, "refused: %s (requested protocols 0x%x)", c->d.why,
                 c->d.cr.requested_protocols);
        finish_then_close(c, msg, close_when_flushed);
        return;
    }
    case GW_FRONT_NLA:
        if (c->first_len != c->d.consumed) {
            c->ctx->metrics.protocol_errors++;
            gw_conn_close(c, "client sent data before the Connection Confirm");
            return;
        }
        if (c->d.cr.line_kind == GW_X224_LINE_USER)
            snprintf(c->user, sizeof c->user, "%s", c->d.cr.value);
        c->front_selected = c->d.selected_protocol;
        bufferevent_disable(c->front, EV_READ);
        bufferevent_setcb(c->front, NULL, start_tls, on_front_event, c);
        bufferevent_write(c->front, c->d.reply, c->d.reply_len);
        return;
    case GW_FRONT_TOKEN: {
        c->stage = GW_ST_TOKEN;
        bufferevent_disable(c->front, EV_READ);
        bufferevent_setcb(c->front, NULL, NULL, on_front_event, c);
        json_t *b = json_pack("{s:s}", "token", c->d.cr.value);
        c->breq =
            b ? gw_broker_post(c->ctx->broker, "/gateway/tokens/redeem", b, on_redeem, c) : NULL;
        if (!c->breq)
            gw_conn_close(c, "cannot ask the broker to redeem the routing token");
        return;
    }
    }
}

void gw_front_start(struct gw_conn *c)
{
    c->stage = GW_ST_X224;
    bufferevent_setcb(c->front, on_x224_read, NULL, on_front_event, c);
    bufferevent_setwatermark(c->front, EV_READ, 0, GW_FRONT_MAX_FIRST);
    bufferevent_enable(c->front, EV_READ | EV_WRITE);
}
