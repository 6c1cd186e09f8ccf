/* SPDX-License-Identifier: Apache-2.0 */
/* Calls deskpoold's API over its unix socket (see cli_api.h). */
#include "cli_api.h"

#include "err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_api_error_text(int status, const char *body, size_t len, char *buf, size_t cap)
{
    json_error_t jerr;
    json_t *j = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (msg && *msg)
        snprintf(buf, cap, "%s", msg);
    else if (status == 404)
        snprintf(buf, cap,
                 "deskpoold does not know this request (HTTP 404); is deskpool newer than "
                 "deskpoold? (check: deskpool status)");
    else
        snprintf(buf, cap, "deskpoold answered HTTP %d without an error message; see its log",
                 status);
    json_decref(j);
}

int cli_api_ex(struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
               int timeout_ms, http_tick_fn tick, void *tick_arg, json_t **out, int *status)
{
    char target[2048];
    struct dp_err err = {0};
    struct http_response resp;
    char *text = NULL;
    if (out)
        *out = NULL;
    if (status)
        *status = 0;
    if (snprintf(target, sizeof target, "/api/v1%s", path) >= (int)sizeof target) {
        fprintf(ctx->err, "deskpool: a name in this request is too long; use shorter names\n");
        return CLI_USAGE;
    }
    if (body && !(text = json_dumps(body, JSON_COMPACT))) {
        fprintf(ctx->err, "deskpool: cannot encode the request (out of memory?)\n");
        return CLI_API_ERROR;
    }
    struct http_request req = {method, target, text, text ? strlen(text) : 0};
    int rc = http_unix_request(ctx->socket, &req, timeout_ms, tick, tick_arg, &resp, &err);
    free(text);
    if (rc != HTTP_OK) {
        fprintf(ctx->err, "deskpool: %s\n", dp_err_msg(&err));
        return rc == HTTP_UNREACHABLE ? CLI_UNREACHABLE : CLI_API_ERROR;
    }
    if (status)
        *status = resp.status;
    if (resp.status < 200 || resp.status > 299) {
        char msg[1200];
        cli_api_error_text(resp.status, resp.body, resp.body_len, msg, sizeof msg);
        fprintf(ctx->err, "deskpool: %s\n", msg);
        http_response_free(&resp);
        return CLI_API_ERROR;
    }
    int result = CLI_OK;
    if (resp.body_len > 0) {
        json_error_t jerr;
        json_t *j = json_loadb(resp.body, resp.body_len, 0, &jerr);
        if (!j) {
            fprintf(ctx->err,
                    "deskpool: deskpoold answered %s %s with invalid JSON (%s at line %d); see "
                    "its log\n",
                    method, target, jerr.text, jerr.line);
            result = CLI_API_ERROR;
        } else if (out)
            *out = j;
        else
            json_decref(j);
    }
    http_response_free(&resp);
    return result;
}

int cli_api(struct cli_ctx *ctx, const char *method, const char *path, json_t *body, json_t **out)
{
    return cli_api_ex(ctx, method, path, body, ctx->timeout_ms, NULL, NULL, out, NULL);
}

int cli_path(char *out, size_t cap, const char *fmt, ...)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (f[0] == '%' && f[1] == 's') {
            const unsigned char *s = va_arg(ap, const unsigned char *);
            for (; *s; s++) {
                /* RFC 3986 unreserved characters pass; everything else is %XX. */
                int plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                            (*s >= '0' && *s <= '9') || strchr("-._~", *s);
                if (n + 4 > cap)
                    goto full;
                if (plain)
                    out[n++] = (char)*s;
                else {
                    out[n++] = '%';
                    out[n++] = hex[*s >> 4];
                    out[n++] = hex[*s & 15];
                }
            }
            f++;
            continue;
        }
        if (f[0] == '%' && f[1] == '%')
            f++;
        if (n + 2 > cap)
            goto full;
        out[n++] = *f;
    }
    va_end(ap);
    out[n] = '\0';
    return 0;
full:
    va_end(ap);
    if (cap)
        out[0] = '\0';
    return -1;
}

void cli_print_json(struct cli_ctx *ctx, json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (t) {
        fprintf(ctx->out, "%s\n", t);
        free(t);
    }
}

void cli_print_json_ok(struct cli_ctx *ctx, json_t *j)
{
    if (j) {
        cli_print_json(ctx, j);
    } else {
        json_t *o = json_object();
        cli_print_json(ctx, o);
        json_decref(o);
    }
}
