/* SPDX-License-Identifier: Apache-2.0 */
/* A command's words: options against its table, positionals counted (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt *find_opt(const struct cli_cmd *cmd, const char *name, size_t n)
{
    for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
            return o;
    return NULL;
}

int cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a, int *json,
                   char *msg, size_t msgcap)
{
    int options_done = 0;
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        char *w = argv[i];
        if (!options_done && strcmp(w, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || w[0] != '-' || w[1] == '\0') {
            if (a->argc >= CLI_MAX_POS || a->argc >= cmd->max_args) {
                snprintf(msg, msgcap, "unexpected argument \"%s\"", w);
                return -1;
            }
            a->argv[a->argc++] = w;
            continue;
        }
        if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0)
            return 1;
        if (strcmp(w, "--json") == 0) {
            *json = 1;
            continue;
        }
        const char *eq = strchr(w, '=');
        size_t n = eq ? (size_t)(eq - w) : strlen(w);
        const struct cli_opt *o = find_opt(cmd, w, n);
        if (!o) {
            snprintf(msg, msgcap, "unknown option %.*s", (int)n, w);
            return -1;
        }
        const char *value = "";
        if (o->has_value) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                snprintf(msg, msgcap, "option %s needs a value", o->name);
                return -1;
            }
        } else if (eq) {
            snprintf(msg, msgcap, "option %s takes no value", o->name);
            return -1;
        }
        if (a->nopt >= CLI_MAX_OPTS) {
            snprintf(msg, msgcap, "too many options");
            return -1;
        }
        a->opt[a->nopt].name = o->name;
        a->opt[a->nopt].value = value;
        a->nopt++;
    }
    if (a->argc < cmd->min_args) {
        snprintf(msg, msgcap, "missing argument%s", cmd->min_args - a->argc > 1 ? "s" : "");
        return -1;
    }
    return 0;
}

const char *cli_arg(const struct cli_args *a, const char *name)
{
    for (int i = a->nopt - 1; i >= 0; i--)
        if (strcmp(a->opt[i].name, name) == 0)
            return a->opt[i].value;
    return NULL;
}

int cli_arg_int(struct cli_ctx *ctx, const struct cli_args *a, const char *name, long min, long max,
                long *out, int *present)
{
    const char *v = cli_arg(a, name);
    if (present)
        *present = v != NULL;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < min || x > max) {
        cli_usage(ctx, "%s needs a whole number from %ld to %ld, not \"%s\"", name, min, max, v);
        return -1;
    }
    *out = x;
    return 0;
}

void cli_help(const struct cli_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: deskpool %s%s%s\n\n%s\n", cmd->name, cmd->usage[0] ? " " : "", cmd->usage,
            cmd->help);
    if (cmd->more)
        fprintf(f, "\n%s", cmd->more);
    fprintf(f, "\n  --json       print deskpoold's JSON answer instead of a table\n"
               "  --help       this text\n");
}

int cli_usage(struct cli_ctx *ctx, const char *fmt, ...)
{
    const struct cli_cmd *cmd = ctx->cmd;
    va_list ap;
    fprintf(ctx->err, "deskpool %s: ", cmd ? cmd->name : "");
    va_start(ap, fmt);
    vfprintf(ctx->err, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(ctx->err, "\nusage: deskpool %s%s%s\n(see deskpool %s --help)\n", cmd->name,
                cmd->usage[0] ? " " : "", cmd->usage, cmd->name);
    else
        fprintf(ctx->err, "\n(see deskpool --help)\n");
    return CLI_USAGE;
}
