/* SPDX-License-Identifier: Apache-2.0 */
/* Pool options <-> API pool fields (see pool_fields.h). */
#include "pool_fields.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_INT, F_STR, F_BOOL, F_DURATION };

struct field {
    const char *opt, *key;
    enum ftype type;
    int create_only;
    const char *choices; /* F_STR: "a|b", or NULL for anything */
};

static const struct field fields[] = {
    {"--template", "template", F_STR, 1, NULL},
    {"--type", "type", F_STR, 1, "pooled|personal"},
    {"--version", "version", F_INT, 0, NULL},
    {"--min", "min", F_INT, 0, NULL},
    {"--max", "max", F_INT, 0, NULL},
    {"--spare", "spare", F_INT, 0, NULL},
    {"--spare-stopped", "spare_stopped", F_INT, 0, NULL},
    {"--naming", "naming", F_STR, 0, NULL},
    {"--max-provisioning", "max_provisioning", F_INT, 0, NULL},
    {"--disconnect-timeout", "disconnect_timeout_s", F_DURATION, 0, NULL},
    {"--idle-timeout", "idle_timeout_s", F_DURATION, 0, NULL},
    {"--max-session", "max_session_s", F_DURATION, 0, NULL},
    {"--refresh-on-logoff", "refresh_on_logoff", F_BOOL, 0, NULL},
    {"--allow-user-reset", "allow_user_reset", F_BOOL, 0, NULL},
    {"--clone-mode", "clone_mode", F_STR, 0, "instant|boot"},
    {"--memory", "memory_mb", F_INT, 0, NULL},
    {"--vcpus", "vcpus", F_INT, 0, NULL},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

#define SETTINGS                                                                                   \
    {"--version", 1}, {"--min", 1}, {"--max", 1}, {"--spare", 1}, {"--spare-stopped", 1},          \
        {"--naming", 1}, {"--max-provisioning", 1}, {"--disconnect-timeout", 1},                   \
        {"--idle-timeout", 1}, {"--max-session", 1}, {"--refresh-on-logoff", 1},                   \
        {"--allow-user-reset", 1}, {"--clone-mode", 1}, {"--memory", 1},                           \
    {                                                                                              \
        "--vcpus", 1                                                                               \
    }

const struct cli_opt pool_create_opts[] = {{"--template", 1}, {"--type", 1},         SETTINGS,
                                           {"--wait", 0},     {"--wait-timeout", 1}, {NULL, 0}};
const struct cli_opt pool_set_opts[] = {SETTINGS, {NULL, 0}};
const struct cli_opt pool_resize_opts[] = {
    {"--min", 1}, {"--max", 1}, {"--spare", 1}, {"--spare-stopped", 1}, {NULL, 0}};

long pool_parse_duration(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long mult = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 'h')
        mult = 3600, end++;
    else if (*end == 'd')
        mult = 86400, end++;
    if (*end || v > LONG_MAX / mult || v * mult > INT_MAX)
        return -1;
    return v * mult;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t m = bar ? (size_t)(bar - p) : strlen(p);
        if (m == n && strncmp(p, v, n) == 0)
            return 1;
        p += m + (bar ? 1 : 0);
    }
    return 0;
}

static int add_field(struct cli_ctx *ctx, const struct field *f, const char *v, json_t *body)
{
    char *end;
    long x;
    switch (f->type) {
    case F_INT:
        errno = 0;
        x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < 0 || x > INT_MAX)
            return cli_usage(ctx, "%s needs a whole number (0 or more), not \"%s\"", f->opt, v);
        json_object_set_new(body, f->key, json_integer(x));
        return CLI_OK;
    case F_DURATION:
        x = pool_parse_duration(v);
        if (x < 0)
            return cli_usage(ctx, "%s needs a duration like 90, 90s, 15m, 2h or 1d, not \"%s\"",
                             f->opt, v);
        json_object_set_new(body, f->key, json_integer(x));
        return CLI_OK;
    case F_BOOL:
        if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
            json_object_set_new(body, f->key, json_true());
        else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0)
            json_object_set_new(body, f->key, json_false());
        else
            return cli_usage(ctx, "%s needs yes or no, not \"%s\"", f->opt, v);
        return CLI_OK;
    case F_STR:
        if (f->choices && !choice_ok(f->choices, v))
            return cli_usage(ctx, "%s needs one of %s, not \"%s\"", f->opt, f->choices, v);
        if (!*v)
            return cli_usage(ctx, "%s needs a value", f->opt);
        json_object_set_new(body, f->key, json_string(v));
        return CLI_OK;
    }
    return CLI_USAGE;
}

int pool_fields_body(struct cli_ctx *ctx, const struct cli_args *a, int creating, json_t **body)
{
    json_t *b = json_object();
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *v = cli_arg(a, fields[i].opt);
        if (!v || (fields[i].create_only && !creating))
            continue;
        int rc = add_field(ctx, &fields[i], v, b);
        if (rc != CLI_OK) {
            json_decref(b);
            return rc;
        }
    }
    *body = b;
    return CLI_OK;
}
