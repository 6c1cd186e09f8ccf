/* SPDX-License-Identifier: Apache-2.0 */
#include "qga_proto.h"
#include "qga_cmds.h"

#include <stdlib.h>
#include <string.h>

static int out_append(struct qga_out *out, const void *data, size_t len)
{
    if (out->len + len > out->cap) {
        size_t cap = out->cap ? out->cap : 1024;
        while (cap < out->len + len)
            cap *= 2;
        uint8_t *p = realloc(out->data, cap);
        if (!p)
            return -1;
        out->data = p;
        out->cap = cap;
    }
    memcpy(out->data + out->len, data, len);
    out->len += len;
    return 0;
}

void qga_out_free(struct qga_out *out)
{
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

/* Serialises one reply, newline-terminated like qemu-ga's. Steals `reply`. */
static int send_reply(struct qga_out *out, json_t *reply, int delimited)
{
    if (!reply)
        return -1;
    char *text = json_dumps(reply, JSON_PRESERVE_ORDER);
    json_decref(reply);
    if (!text)
        return -1;
    static const uint8_t sentinel = 0xFF;
    int rc = 0;
    if (delimited)
        rc = out_append(out, &sentinel, 1);
    if (rc == 0)
        rc = out_append(out, text, strlen(text));
    if (rc == 0)
        rc = out_append(out, "\n", 1);
    free(text);
    return rc;
}

static json_t *error_reply(const char *klass, const char *desc, json_t *id)
{
    json_t *reply = json_pack("{s:{s:s,s:s}}", "error", "class", klass, "desc", desc);
    if (reply && id)
        json_object_set(reply, "id", id);
    return reply;
}

static int send_error(struct qga_out *out, const char *desc)
{
    return send_reply(out, error_reply("GenericError", desc, NULL), 0);
}

int qga_handle_message(const struct guestd_ctx *ctx, const char *msg, size_t len,
                       struct qga_out *out)
{
    json_error_t jerr;
    json_t *req = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        char desc[256];
        snprintf(desc, sizeof desc, "JSON parse error, %s", jerr.text);
        return send_error(out, desc);
    }
    if (!json_is_object(req)) {
        json_decref(req);
        return send_error(out, "QMP input must be a JSON object");
    }

    json_t *id = json_object_get(req, "id");
    json_t *execute = json_object_get(req, "execute");
    json_t *args = json_object_get(req, "arguments");
    const char *key;
    json_t *value;
    char desc[512];
    json_t *reply = NULL;
    int delimited = 0;

    json_object_foreach(req, key, value)
    {
        if (strcmp(key, "execute") != 0 && strcmp(key, "arguments") != 0 &&
            strcmp(key, "id") != 0) {
            snprintf(desc, sizeof desc, "QMP input member '%.64s' is unexpected", key);
            reply = error_reply("GenericError", desc, id);
            goto done;
        }
    }
    if (!execute) {
        reply = error_reply("GenericError", "QMP input lacks member 'execute'", id);
        goto done;
    }
    if (!json_is_string(execute)) {
        reply = error_reply("GenericError", "QMP input member 'execute' must be a string", id);
        goto done;
    }
    if (args && !json_is_object(args)) {
        reply = error_reply("GenericError", "QMP input member 'arguments' must be an object", id);
        goto done;
    }

    const char *name = json_string_value(execute);
    const struct qga_cmd *cmd = qga_cmd_find(name);
    if (!cmd) {
        snprintf(desc, sizeof desc, "The command %.128s has not been found", name);
        reply = error_reply("CommandNotFound", desc, id);
        goto done;
    }

    struct qga_call call = {.ctx = ctx};
    json_t *ret = cmd->exec(&call, args);
    if (!ret && call.no_reply && !call.err.set) {
        json_decref(req);
        return 0;
    }
    if (!ret) {
        reply = error_reply("GenericError", dp_err_msg(&call.err), id);
    } else {
        reply = json_object();
        if (reply) {
            json_object_set_new(reply, "return", ret);
            if (id)
                json_object_set(reply, "id", id);
        } else {
            json_decref(ret);
        }
    }
    delimited = call.delimited;

done:;
    int rc = send_reply(out, reply, delimited);
    json_decref(req);
    return rc;
}

void qga_conn_init(struct qga_conn *conn, const struct guestd_ctx *ctx)
{
    conn->ctx = ctx;
    qga_conn_reset(conn);
}

void qga_conn_reset(struct qga_conn *conn)
{
    conn->state = QGA_IDLE;
    conn->depth = 0;
    conn->in_string = 0;
    conn->escaped = 0;
    conn->len = 0;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Tracks strings and nesting for one byte of a message; returns 1 when it closed the
 * outermost value, -1 when nesting got too deep, 0 otherwise. */
static int track(struct qga_conn *conn, uint8_t c)
{
    if (conn->in_string) {
        if (conn->escaped)
            conn->escaped = 0;
        else if (c == '\\')
            conn->escaped = 1;
        else if (c == '"')
            conn->in_string = 0;
        return 0;
    }
    switch (c) {
    case '"':
        conn->in_string = 1;
        return 0;
    case '{':
    case '[':
        if (++conn->depth > QGA_DEPTH_MAX)
            return -1;
        return 0;
    case '}':
    case ']':
        return --conn->depth == 0 ? 1 : 0;
    default:
        return 0;
    }
}

int qga_feed(struct qga_conn *conn, const uint8_t *in, size_t len, struct qga_out *out)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (c == 0xFF) {
            /* The host's "flush": drop whatever was half read, silently. */
            qga_conn_reset(conn);
            continue;
        }
        switch (conn->state) {
        case QGA_STRAY:
            /* Skip junk up to the next plausible start of a request. */
            if (!is_space(c) && c != '{')
                break;
            conn->state = QGA_IDLE;
            if (c != '{')
                break;
            /* fall through */
        case QGA_IDLE:
            if (is_space(c))
                break;
            if (c != '{' && c != '[') {
                conn->state = QGA_STRAY;
                if (send_error(out, "JSON parse error, stray input outside a JSON object; "
                                    "send {\"execute\": ...} objects") != 0)
                    return -1;
                break;
            }
            conn->state = QGA_IN_MSG;
            conn->len = 0;
            conn->depth = 0;
            conn->in_string = conn->escaped = 0;
            /* fall through */
        case QGA_IN_MSG:
        case QGA_OVERSIZE: {
            if (conn->state == QGA_IN_MSG) {
                if (conn->len < sizeof conn->buf)
                    conn->buf[conn->len++] = (char)c;
                else
                    conn->state = QGA_OVERSIZE;
            }
            int t = track(conn, c);
            if (t < 0) {
                qga_conn_reset(conn);
                conn->state = QGA_STRAY;
                if (send_error(out, "JSON parse error, nesting too deep") != 0)
                    return -1;
            } else if (t > 0) {
                int rc;
                if (conn->state == QGA_OVERSIZE)
                    rc = send_error(out, "request too large (limit 65536 bytes)");
                else
                    rc = qga_handle_message(conn->ctx, conn->buf, conn->len, out);
                qga_conn_reset(conn);
                if (rc != 0)
                    return -1;
            }
            break;
        }
        }
    }
    return 0;
}
