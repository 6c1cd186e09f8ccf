/* SPDX-License-Identifier: Apache-2.0 */
/* The Prometheus endpoint: GET /metrics on its own (loopback by default) listener. */
#include "gw.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "err.h"

static void on_metrics(struct evhttp_request *req, void *arg)
{
    struct gw_ctx *ctx = arg;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_send_error(req, 405, "GET only");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (!b || gw_metrics_format(&ctx->metrics, b) < 0) {
        if (b)
            evbuffer_free(b);
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

int gw_metrics_http_start(struct gw_ctx *ctx, struct dp_err *err)
{
    if (ctx->cfg->metrics_port == 0)
        return 0;
    ctx->metrics_http = evhttp_new(ctx->base);
    if (!ctx->metrics_http || evhttp_bind_socket(ctx->metrics_http, ctx->cfg->metrics_host,
                                                 (ev_uint16_t)ctx->cfg->metrics_port) != 0) {
        dp_err_errno(err,
                     "cannot listen for metrics on %s:%d ([metrics] listen; empty turns it off)",
                     ctx->cfg->metrics_host, ctx->cfg->metrics_port);
        return -1;
    }
    evhttp_set_allowed_methods(ctx->metrics_http, EVHTTP_REQ_GET);
    evhttp_set_cb(ctx->metrics_http, "/metrics", on_metrics, ctx);
    return 0;
}
