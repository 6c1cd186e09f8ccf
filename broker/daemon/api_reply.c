/* SPDX-License-Identifier: Apache-2.0 */
/* Answers: JSON bodies, the error shape of docs/API.md, the request log line. */
#include "api.h"
#include "api_errors.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "store/db.h"
#include "store/db_audit.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_req_free(struct api_req *r)
{
    evhttp_clear_headers(&r->query);
    json_decref(r->body);
    free(r);
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    default:
        return NULL; /* evhttp picks the standard phrase */
    }
}

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    default:
        return "?";
    }
}

void api_reply_json(struct api_req *r, int status, json_t *j)
{
    struct evbuffer *buf = evbuffer_new();
    if (j && buf) {
        char *text = json_dumps(j, JSON_COMPACT);
        if (text) {
            evbuffer_add(buf, text, strlen(text));
            evbuffer_add(buf, "\n", 1);
            free(text);
        }
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
                          "application/json");
    }
    json_decref(j);
    /* Never a query string or body in the log: they may hold a token or a password. */
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r->req));
    log_info("%s %s %s -> %d", r->actor, method_name(evhttp_request_get_command(r->req)),
             path ? path : "?", status);
    evhttp_send_reply(r->req, status, reason(status), buf);
    if (buf)
        evbuffer_free(buf);
    api_req_free(r);
}

void api_reply_items(struct api_req *r, json_t *items)
{
    api_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void reply_error_msg(struct api_req *r, int status, const char *msg)
{
    if (status >= 500)
        log_error("%s: %s", r->actor, msg);
    json_t *j =
        json_pack("{s:{s:s,s:s}}", "error", "code", api_code_for_status(status), "message", msg);
    api_reply_json(r, status, j);
}

void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_error_msg(r, status, msg);
}

void api_reply_db(struct api_req *r, int rc, const struct dp_err *err)
{
    const char *msg = err && err->set ? err->msg : "the store failed; see the broker's log";
    reply_error_msg(r, api_status_for_db(rc), msg);
}

int api_body_fields(struct api_req *r, struct api_field *fields, size_t n)
{
    char msg[1024];
    if (api_json_fields(r->body, fields, n, msg, sizeof msg) != 0) {
        reply_error_msg(r, 400, msg);
        return -1;
    }
    return 0;
}

const char *api_query(struct api_req *r, const char *key)
{
    return evhttp_find_header(&r->query, key);
}

void api_audit(struct api_req *r, const char *action, const char *object, const char *const *kv,
               size_t n)
{
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    if (db_audit_add_kv(r->d->db, action, object, kv, n, &err) != DB_OK)
        log_error("audit event %s on %s not written: %s", action, object, dp_err_msg(&err));
}
