/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_CLI_H
#define DESKPOOL_PROBE_CLI_H

#include <stdio.h>

struct dp_err;

enum probe_sec { PROBE_SEC_NLA, PROBE_SEC_TLS, PROBE_SEC_ANY };

/*
 * Everything the command line says. Parsing is pure (no files, no environment), so it can
 * be unit-tested; probe_secret_load() then fetches the password the options point at.
 */
struct probe_options {
    char host[256];
    unsigned port;
    const char *user;
    const char *domain;
    const char *password_arg;  /* --password (visible in ps) */
    const char *password_file; /* --password-file */
    const char *password_env;  /* --password-env */
    unsigned timeout_ms;
    int settle_ms; /* -1: not given (0, or 300 after --type-text) */
    unsigned width, height;
    const char *png_path;
    const char *load_balance_info;
    const char *type_text;
    enum probe_sec sec;
    unsigned hold_s; /* --hold SEC: stay connected SEC s after the picture; 0: no */
    int logoff;      /* --logoff: end by logging off (type "logoff" + Enter) */
    int json;
    int verbose;
    int help;
    /* Load mode (probe_load.c): many logins, at most concurrency at once. */
    const char *users;      /* --users a,b,c (one password for all) */
    const char *users_file; /* --users-file F: "user:password" lines */
    unsigned concurrency;   /* --concurrency N; 0: not given */
};

/* The load mode is on: --users or --users-file was given. */
#define PROBE_LOAD_MODE(o) ((o)->users != NULL || (o)->users_file != NULL)
#define PROBE_MAX_CONCURRENCY 256

/*
 * Parses argv into opts (pointers into argv). Returns 0, or -1 with err saying what is
 * wrong (a usage error: exit 2). Sets opts->help for --help; then nothing else is checked.
 */
int probe_cli_parse(int argc, char **argv, struct probe_options *opts, struct dp_err *err);

/* "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (default port 3389). Returns 0 or -1 + err. */
int probe_parse_target(const char *arg, char *host, size_t host_size, unsigned *port,
                       struct dp_err *err);

void probe_cli_usage(FILE *out);

#endif
