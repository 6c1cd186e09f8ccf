/* SPDX-License-Identifier: Apache-2.0 */
#include "broker_client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "err.h"
#include "files.h"
#include "gw_config.h"
#include "log.h"
#include "tls.h"

#define API_PREFIX "/api/v1"
#define MAX_BODY (64 * 1024)

struct gw_broker {
    struct event_base *base;
    struct evdns_base *dns;
    SSL_CTX *ssl;    /* NULL for http:// */
    int verify_host; /* a CA (not only a pin) judges the certificate: check its name too */
    char host[256];
    int port;
    char auth[600]; /* "Bearer KEY" */
    int timeout_s;
    int in_flight; /* calls not answered yet (shutdown waits for them) */
};

struct gw_broker_req {
    struct gw_broker *b;
    gw_broker_cb cb;
    void *arg;
    struct bufferevent *bev;
    char path[256];
};

struct gw_broker *gw_broker_new(struct event_base *base, struct evdns_base *dns,
                                const struct gw_config *cfg, struct dp_err *err)
{
    struct gw_broker *b = calloc(1, sizeof *b);
    struct evhttp_uri *uri = evhttp_uri_parse(cfg->broker_url);
    char *key = NULL;
    if (!b) {
        dp_err_set(err, "out of memory for the broker client");
        goto fail;
    }
    b->base = base;
    b->dns = dns;
    b->timeout_s = cfg->broker_timeout_s;
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    if (!scheme || !host || (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
        dp_err_set(err, "[broker] url \"%s\" is not an https://HOST:PORT address", cfg->broker_url);
        goto fail;
    }
    snprintf(b->host, sizeof b->host, "%s", host);
    int https = !strcmp(scheme, "https");
    b->port = evhttp_uri_get_port(uri);
    if (b->port <= 0)
        b->port = https ? 443 : 80;
    if (https) {
        b->ssl = gw_tls_broker_ctx(cfg->broker_ca, cfg->broker_pin_sha256, err);
        if (!b->ssl)
            goto fail;
        b->verify_host = cfg->broker_pin_sha256[0] == '\0';
    }

    size_t klen;
    key = dp_read_file(cfg->broker_key_file, 4096, &klen, err);
    if (!key)
        goto fail;
    while (klen && isspace((unsigned char)key[klen - 1]))
        key[--klen] = '\0';
    if (klen == 0 || klen > 512 || strspn(key, "0123456789abcdefABCDEF") != klen) {
        dp_err_set(err,
                   "gateway key file %s must hold one hex key (the broker's "
                   "gateway_key_file); it %s",
                   cfg->broker_key_file, klen ? "holds other characters" : "is empty");
        goto fail;
    }
    snprintf(b->auth, sizeof b->auth, "Bearer %s", key);
    explicit_bzero(key, klen);
    free(key);
    evhttp_uri_free(uri);
    return b;
fail:
    if (key)
        explicit_bzero(key, strlen(key));
    free(key);
    if (uri)
        evhttp_uri_free(uri);
    gw_broker_free(b);
    return NULL;
}

void gw_broker_free(struct gw_broker *b)
{
    if (!b)
        return;
    if (b->ssl)
        SSL_CTX_free(b->ssl);
    explicit_bzero(b->auth, sizeof b->auth);
    free(b);
}

int gw_broker_in_flight(const struct gw_broker *b)
{
    return b->in_flight;
}

void gw_broker_cancel(struct gw_broker_req *req)
{
    if (req)
        req->cb = NULL;
}

static void tls_reason(struct bufferevent *bev, char *buf, size_t cap)
{
    unsigned long e;
    buf[0] = '\0';
    while (bev && (e = bufferevent_get_openssl_error(bev)) != 0) {
        if (!buf[0])
            ERR_error_string_n(e, buf, cap);
    }
}

static void on_done(struct evhttp_request *r, void *arg)
{
    struct gw_broker_req *req = arg;
    int status = r ? evhttp_request_get_response_code(r) : 0;
    json_t *body = NULL;
    char why[300] = "";

    if (status == 0) {
        char tls[256];
        tls_reason(req->bev, tls, sizeof tls);
        snprintf(why, sizeof why,
                 "no answer from the broker for %s (%s); is deskpoold running "
                 "and [broker] url/ca/pin_sha256 right?",
                 req->path, tls[0] ? tls : "connection failed or timed out");
    } else {
        struct evbuffer *in = evhttp_request_get_input_buffer(r);
        size_t n = evbuffer_get_length(in);
        if (n > 0 && n <= MAX_BODY) {
            const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
            body = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
            if (body && !json_is_object(body)) {
                json_decref(body);
                body = NULL;
            }
            /* The answer may hold a hash or a one-time password: wipe the copy libevent had. */
            explicit_bzero((void *)p, n);
        }
    }
    req->b->in_flight--;
    if (req->cb)
        req->cb(req->arg, status, body, why[0] ? why : NULL);
    json_decref(body);
    free(req);
}

struct gw_broker_req *gw_broker_post(struct gw_broker *b, const char *path, json_t *body,
                                     gw_broker_cb cb, void *arg)
{
    struct gw_broker_req *req = calloc(1, sizeof *req);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct evhttp_connection *con = NULL;
    if (!req || !text)
        goto fail;
    req->b = b;
    req->cb = cb;
    req->arg = arg;
    snprintf(req->path, sizeof req->path, "%s", path);

    if (b->ssl) {
        SSL *ssl = SSL_new(b->ssl);
        if (!ssl)
            goto fail;
        struct in6_addr a6;
        struct in_addr a4;
        int is_ip = inet_pton(AF_INET, b->host, &a4) == 1 || inet_pton(AF_INET6, b->host, &a6) == 1;
        if (!is_ip)
            SSL_set_tlsext_host_name(ssl, b->host);
        if (b->verify_host)
            SSL_set1_host(ssl, b->host);
        req->bev = bufferevent_openssl_socket_new(b->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                  BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (!req->bev) {
            SSL_free(ssl);
            goto fail;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(req->bev, 1);
    }
    con = evhttp_connection_base_bufferevent_new(b->base, b->dns, req->bev, b->host,
                                                 (unsigned short)b->port);
    if (!con)
        goto fail;
    evhttp_connection_set_timeout(con, b->timeout_s);
    evhttp_connection_set_retries(con, 0);
    evhttp_connection_free_on_completion(con);

    struct evhttp_request *r = evhttp_request_new(on_done, req);
    if (!r)
        goto fail;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r);
    char hosthdr[300];
    snprintf(hosthdr, sizeof hosthdr, "%s:%d", b->host, b->port);
    evhttp_add_header(h, "Host", hosthdr);
    evhttp_add_header(h, "Authorization", b->auth);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Connection", "close");
    evbuffer_add(evhttp_request_get_output_buffer(r), text, strlen(text));
    explicit_bzero(text, strlen(text));
    free(text);
    text = NULL;
    char full[300];
    snprintf(full, sizeof full, API_PREFIX "%s", path);
    if (evhttp_make_request(con, r, EVHTTP_REQ_POST, full) != 0) {
        /* libevent freed r and, with free_on_completion, may free con: do not touch it. */
        log_error("broker call %s could not be sent", path);
        free(req);
        return NULL;
    }
    b->in_flight++;
    return req;
fail:
    log_error("broker call %s could not start (out of memory or TLS setup)", path);
    if (con)
        evhttp_connection_free(con);
    else if (req && req->bev)
        bufferevent_free(req->bev);
    free(text);
    free(req);
    return NULL;
}
