/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP API's request bodies (broker/daemon/api_json.c): the first byte picks a route, the
 * rest is its body, parsed as the router does (api_json_body) and checked against that
 * route's field declarations as its handler does (api_json_fields). The declarations below
 * mirror the handlers' (broker/daemon/api_*.c; names, types, caps and ranges); they live
 * inside the handlers, next to the store calls, so they are repeated here.
 *
 * What must hold for any bytes: an accepted body leaves every required field present,
 * strings NUL-terminated inside their buffers (required ones not empty), numbers in range,
 * absent fields untouched; a refused body leaves every field untouched and comes with a
 * message that can be sent as JSON (valid UTF-8), or the client gets an error with no text.
 */
#include "api_json.h"
#include "routing_token.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 0x5a
#define MAXF 20

struct route {
    const char *name;
    struct api_field f[MAXF];
    size_t n;
};

/* Output buffers, one per field slot, filled with SENTINEL before each run. */
static char s_buf[MAXF][PATH_MAX];
static int i_buf[MAXF];
static int64_t c_buf[MAXF];

#define S(name, req, cap)                                                                          \
    {                                                                                              \
        (name), AJ_STRING, (req), NULL, (cap), 0, 0, 0                                             \
    }
#define I(name, req, lo, hi)                                                                       \
    {                                                                                              \
        (name), AJ_INT, (req), NULL, 0, (lo), (hi), 0                                              \
    }
#define B(name, req)                                                                               \
    {                                                                                              \
        (name), AJ_BOOL, (req), NULL, 0, 0, 0, 0                                                   \
    }
#define C(name, req)                                                                               \
    {                                                                                              \
        (name), AJ_COUNT, (req), NULL, 0, 0, 0, 0                                                  \
    }
#define POOL_FIELDS                                                                                \
    I("version", 0, 0, 1000000), I("min", 0, 0, 10000), I("max", 0, 0, 10000),                     \
        I("spare", 0, 0, 10000), I("spare_stopped", 0, 0, 10000), S("naming", 0, 64),              \
        I("max_provisioning", 0, 1, 1000), I("disconnect_timeout_s", 0, 0, 1 << 30),               \
        I("idle_timeout_s", 0, 0, 1 << 30), I("max_session_s", 0, 0, 1 << 30),                     \
        B("refresh_on_logoff", 0), B("allow_user_reset", 0), S("clone_mode", 0, 16),               \
        I("memory_mb", 0, 0, 1 << 20), I("vcpus", 0, 0, 256)

static struct route routes[] = {
    {"POST /desktops/request", {S("user", 1, 64), S("pool", 0, 64), S("client_addr", 0, 64)}, 3},
    {"POST /login", {S("user", 1, 64), S("password", 1, 256)}, 2},
    {"POST /portal/login", {S("user", 1, 64), S("password", 1, 256)}, 2},
    {"POST /users",
     {S("name", 1, 64), S("password", 1, 256), S("display_name", 0, 128), S("default_pool", 0, 64)},
     4},
    {"PUT /users/NAME/password", {S("password", 1, 256)}, 1},
    {"PATCH /users/NAME",
     {B("enabled", 0), S("display_name", 0, 128), S("default_pool", 0, 64), B("unlock", 0)},
     4},
    {"POST /groups", {S("name", 1, 64)}, 1},
    {"POST /groups/NAME/members", {S("user", 1, 64)}, 1},
    {"POST /entitlements", {S("pool", 1, 64), S("user", 0, 64), S("group", 0, 64)}, 3},
    {"POST /gateway/ntlm-hash", {S("user", 1, 64), S("domain", 0, 256)}, 2},
    {"POST /gateway/login-result", {S("user", 1, 64), B("ok", 1), S("client_addr", 0, 64)}, 3},
    {"POST /gateway/session-event", {S("event", 1, 16), C("bytes_in", 0), C("bytes_out", 0)}, 3},
    {"POST /gateway/token", {S("token", 1, ROUTING_TOKEN_TEXT_MAX)}, 1},
    {"POST /templates",
     {S("name", 1, 64), S("image", 1, PATH_MAX), S("kernel", 0, PATH_MAX), S("initrd", 0, PATH_MAX),
      S("append", 0, 1024), I("memory_mb", 0, 64, 1 << 20), I("vcpus", 0, 1, 256), B("has_rdp", 0)},
     8},
    {"POST /pools", {S("name", 1, 64), S("template", 1, 64), S("type", 1, 16), POOL_FIELDS}, 18},
    {"PATCH /pools/NAME", {POOL_FIELDS}, 15},
    {"POST /pools/NAME/recompose",
     {I("version", 0, 0, 1000000), I("deadline_s", 0, 0, 1 << 30)},
     2},
    {"POST /me/desktop/connect", {S("pool", 0, 64)}, 1},
    {"POST /me/desktop/reset", {B("confirm", 0)}, 1},
    {"POST (no body fields)", {{0}}, 0},
};

static int untouched(const struct api_field *f, size_t k)
{
    const unsigned char *p;
    size_t n;
    if (f->type == AJ_STRING)
        p = (const unsigned char *)s_buf[k], n = f->cap;
    else if (f->type == AJ_COUNT)
        p = (const unsigned char *)&c_buf[k], n = sizeof c_buf[k];
    else
        p = (const unsigned char *)&i_buf[k], n = sizeof i_buf[k];
    for (size_t i = 0; i < n; i++)
        if (p[i] != SENTINEL)
            return 0;
    return 1;
}

static void check_accepted(const struct api_field *f, size_t k)
{
    if (!f->present) {
        if (f->required || !untouched(f, k))
            abort();
        return;
    }
    switch (f->type) {
    case AJ_STRING: {
        size_t len = strnlen(s_buf[k], f->cap);
        if (len >= f->cap || (f->required && len == 0))
            abort();
        break;
    }
    case AJ_INT:
        if (i_buf[k] < f->min || i_buf[k] > f->max)
            abort();
        break;
    case AJ_BOOL:
        if (i_buf[k] != 0 && i_buf[k] != 1)
            abort();
        break;
    case AJ_COUNT:
        if (c_buf[k] < 0)
            abort();
        break;
    }
}

/* The router and handlers send msg as {"error": {"message": msg}}: it must be UTF-8. */
static void check_message(const char *msg)
{
    json_t *s = json_string(msg);
    if (!s || msg[0] == '\0')
        abort();
    json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct route *rt = &routes[data[0] % (sizeof routes / sizeof routes[0])];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    struct api_field f[MAXF];
    memcpy(f, rt->f, sizeof f);
    for (size_t k = 0; k < rt->n; k++) {
        memset(s_buf[k], SENTINEL, sizeof s_buf[k]);
        memset(&i_buf[k], SENTINEL, sizeof i_buf[k]);
        memset(&c_buf[k], SENTINEL, sizeof c_buf[k]);
        f[k].out = f[k].type == AJ_STRING  ? (void *)s_buf[k]
                   : f[k].type == AJ_COUNT ? (void *)&c_buf[k]
                                           : (void *)&i_buf[k];
    }

    char msg[512] = "";
    json_t *obj = NULL;
    int st = api_json_body(body, len, &obj, msg, sizeof msg);
    if (st != 0) {
        if ((st != 400 && st != 413) || obj)
            abort();
        check_message(msg);
        return 0;
    }
    char fmsg[1024] = "";
    if (api_json_fields(obj, f, rt->n, fmsg, sizeof fmsg) == 0) {
        for (size_t k = 0; k < rt->n; k++)
            check_accepted(&f[k], k);
    } else {
        for (size_t k = 0; k < rt->n; k++)
            if (!untouched(&f[k], k))
                abort(); /* a refused body leaves the handler's defaults intact */
        check_message(fmsg);
    }
    json_decref(obj);
    return 0;
}
