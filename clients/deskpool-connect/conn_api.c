/* SPDX-License-Identifier: Apache-2.0 */
/* deskpoold's self-service API over HTTPS: calls, failures, trust on first use. */
#include "conn_ctx.h"

#include "conn_exit.h"
#include "err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int conn_fail(struct conn_ctx *c, int code, const char *fmt, ...)
{
    char msg[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(c->err, "deskpool-connect: %s\n", msg);
    if (c->o && c->o->json && !c->failed_printed) {
        json_t *j = json_pack("{s:s, s:i, s:s}", "result", conn_exit_name(code), "exit_code", code,
                              "error", msg);
        conn_print_json(c, j);
        json_decref(j);
    }
    c->failed_printed = 1;
    return code;
}

void conn_print_json(struct conn_ctx *c, json_t *j)
{
    char *t = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (t) {
        fprintf(c->out, "%s\n", t);
        free(t);
    }
    fflush(c->out);
}

/* The API's error.message, else a sentence naming the HTTP status. */
static void error_text(int status, const char *body, size_t len, char *buf, size_t cap)
{
    json_error_t jerr;
    json_t *j = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (msg && *msg)
        snprintf(buf, cap, "%s", msg);
    else if (status == 404)
        snprintf(buf, cap,
                 "the broker does not know this request (HTTP 404); is deskpoold older than "
                 "deskpool-connect?");
    else
        snprintf(buf, cap, "the broker answered HTTP %d without a message; ask its admin", status);
    json_decref(j);
}

/* An unknown certificate: show it and ask. Returns 1 to retry with the pin, else an exit. */
static int trust_on_first_use(struct conn_ctx *c, const struct https_peer *peer)
{
    char shown[100], q[700];
    fingerprint_display(peer->fingerprint, shown, sizeof shown);
    snprintf(q, sizeof q,
             "The broker at %s has a certificate this computer does not know (%s).\n"
             "SHA-256 fingerprint: %s\n"
             "Check it with your admin. Trust it and remember it? [y/N] ",
             c->broker.canon, peer->why, shown);
    int a = conn_ask(q, NULL);
    if (a < 0)
        return -1; /* no terminal: the message already says what to do */
    if (a == 0)
        return conn_fail(c, CONN_CANCELLED, "not connecting to a broker you did not trust");
    memcpy(c->pin, peer->fingerprint, sizeof c->pin);
    c->trust.pin = c->pin;
    c->pin_learned = 1;
    return 1;
}

/* req over HTTPS (NULL: only check the certificate), asking about an unknown certificate on a
 * terminal. Returns CONN_OK with resp filled (when req), or a reported failure. */
static int exchange(struct conn_ctx *c, const struct http_request *req, struct http_response *resp)
{
    struct https_peer peer;
    struct dp_err err = {0};
    for (;;) {
        dp_err_clear(&err);
        int rc = https_request(&c->broker, &c->trust, req, c->token[0] ? c->token : NULL,
                               c->o->timeout_s * 1000, resp, &peer, &err);
        if (rc == HTTP_OK)
            return CONN_OK;
        if (rc == HTTP_UNTRUSTED && peer.fingerprint[0] && !peer.pin_mismatch &&
            !c->trust.ca_file && !c->trust.insecure) {
            int t = trust_on_first_use(c, &peer);
            if (t == 1)
                continue;
            if (t != -1)
                return t;
        }
        return conn_fail(c, conn_exit_for_transport(rc), "%s", dp_err_msg(&err));
    }
}

int conn_trust(struct conn_ctx *c)
{
    return exchange(c, NULL, NULL);
}

int conn_call(struct conn_ctx *c, const char *method, const char *path, json_t *body, json_t **out,
              int *status)
{
    char target[1024];
    if (out)
        *out = NULL;
    if (status)
        *status = 0;
    if (snprintf(target, sizeof target, "/api/v1%s", path) >= (int)sizeof target)
        return conn_fail(c, CONN_USAGE, "a name in this request is too long");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text)
        return conn_fail(c, CONN_FAILED, "cannot encode the request (out of memory?)");
    struct http_request req = {method, target, text, text ? strlen(text) : 0};
    struct http_response resp;
    int rc = exchange(c, &req, &resp);
    if (rc != CONN_OK)
        goto done;
    if (status)
        *status = resp.status;
    if (resp.status < 200 || resp.status > 299) {
        char msg[1200];
        error_text(resp.status, resp.body, resp.body_len, msg, sizeof msg);
        rc = conn_fail(c, conn_exit_for_status(resp.status), "%s", msg);
        http_response_free(&resp);
        goto done;
    }
    rc = CONN_OK;
    if (resp.body_len > 0) {
        json_error_t jerr;
        json_t *j = json_loadb(resp.body, resp.body_len, 0, &jerr);
        if (!j)
            rc = conn_fail(c, CONN_FAILED, "the broker answered %s %s with invalid JSON (%s)",
                           method, target, jerr.text);
        else if (out)
            *out = j;
        else
            json_decref(j);
    }
    explicit_bzero(resp.body, resp.body_len); /* may hold a token */
    http_response_free(&resp);
done:
    if (text) {
        explicit_bzero(text, strlen(text)); /* may hold the password */
        free(text);
    }
    return rc;
}
