/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_H
#define DESKPOOL_CLI_H

/*
 * deskpool: the admin CLI of deskpoold. One file per command (cmd-pool-create.c, ...), each
 * exporting a `const struct cli_cmd`; cli_table.c lists them and cli_main.c finds the one
 * a command line names, parses its options against the entry and runs it. Commands talk to
 * deskpoold's HTTP API (docs/API.md) through cli_api.c.
 */
#include <stdio.h>

/* Exit statuses, documented in `deskpool --help`. */
enum {
    CLI_OK = 0,
    CLI_API_ERROR = 1,   /* deskpoold refused or failed the request */
    CLI_USAGE = 2,       /* the command line is wrong */
    CLI_UNREACHABLE = 3, /* no usable answer from deskpoold */
};

#define CLI_DEFAULT_SOCKET "/run/deskpool/deskpoold.sock"
#define CLI_DEFAULT_TIMEOUT_MS 30000

struct cli_ctx {
    const char *socket; /* --socket, $DESKPOOL_SOCKET or the default */
    int json;           /* --json: print the API's JSON */
    int timeout_ms;     /* per request */
    int interactive;    /* stdout is a terminal: progress displays, prompts */
    FILE *out;          /* stdout (tests capture it) */
    FILE *err;          /* stderr */
    const struct cli_cmd *cmd;
};

struct cli_opt {
    const char *name; /* "--pool" */
    int has_value;
};

#define CLI_MAX_POS 8
#define CLI_MAX_OPTS 32

/* A command line after the command's name, split by the command's option table. */
struct cli_args {
    int argc;
    char *argv[CLI_MAX_POS];
    int nopt;
    struct {
        const char *name;
        const char *value; /* "" for flags */
    } opt[CLI_MAX_OPTS];
};

struct cli_cmd {
    const char *name;           /* "pool create" */
    const char *usage;          /* what follows the name: "NAME --template T ..." */
    const char *help;           /* one line */
    const char *more;           /* option descriptions for `--help`, or NULL */
    const struct cli_opt *opts; /* ends with {NULL}; --json and --help are always accepted */
    int min_args, max_args;     /* positional arguments */
    int (*exec)(struct cli_ctx *ctx, const struct cli_args *a);
};

extern const struct cli_cmd *cli_table[];

/* The whole program, minus the process: main() calls this with stdout/stderr. */
int cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Finds the command argv names ("pool create"): returns it and sets *words, or NULL. */
const struct cli_cmd *cli_find(int argc, char **argv, int *words);

/*
 * Splits argv (the words after the command's name) into positionals and options of cmd.
 * "--opt value", "--opt=value" and "--" work; --json sets *json. Returns 0, 1 for --help,
 * or -1 with a message in msg (a usage error).
 */
int cli_args_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a, int *json,
                   char *msg, size_t msgcap);

/* The last value of an option, "" for a flag, NULL if absent. */
const char *cli_arg(const struct cli_args *a, const char *name);
/* Parses option name as a whole number in [min, max] into *out (untouched if absent).
 * Returns 0 (absent or ok) or -1 after printing a usage error. */
int cli_arg_int(struct cli_ctx *ctx, const struct cli_args *a, const char *name, long min, long max,
                long *out, int *present);

/* Prints "usage: deskpool NAME USAGE" (+ help) to ctx->err; returns CLI_USAGE. */
int cli_usage(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_help(const struct cli_cmd *cmd, FILE *f);

#endif
