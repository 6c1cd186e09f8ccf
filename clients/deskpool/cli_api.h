/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_API_H
#define DESKPOOL_CLI_API_H

/* deskpoold's API as the commands see it: JSON in, JSON out, errors printed and mapped to
 * exit statuses. */
#include "cli.h"
#include "cli_render.h"
#include "http_unix.h"

#include <jansson.h>

/*
 * METHOD /api/v1 + path with body (may be NULL; not stolen). On a 2xx answer stores its JSON
 * in *out (NULL when the body is empty; out may be NULL) and returns CLI_OK. Otherwise prints
 * the error to ctx->err and returns CLI_API_ERROR (deskpoold refused or answered garbage) or
 * CLI_UNREACHABLE. status (may be NULL) gets the HTTP status, 0 when there was none.
 */
int cli_api(struct cli_ctx *ctx, const char *method, const char *path, json_t *body, json_t **out);
/* The same with a timeout and a tick for progress displays. */
int cli_api_ex(struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
               int timeout_ms, http_tick_fn tick, void *tick_arg, json_t **out, int *status);

/*
 * The message a person should see for a non-2xx answer: the API's error.message as is,
 * else a sentence naming the HTTP status. Pure.
 */
void cli_api_error_text(int status, const char *body, size_t len, char *buf, size_t cap);

/* snprintf for API paths where every %s is a name that gets percent-escaped (only %s and %%
 * are understood). Returns -1 if it does not fit. */
int cli_path(char *out, size_t cap, const char *fmt, ...);

/* Prints JSON the way --json promises: indented, keys in the API's order, newline. */
void cli_print_json(struct cli_ctx *ctx, json_t *j);

/* For --json commands that answer 204: prints {} so scripts always get an object. */
void cli_print_json_ok(struct cli_ctx *ctx, json_t *j);

/* The common shapes of a command, in cli_ops.c. */
/* Sends body (stolen; may be NULL) and on success prints done (a line for people) or, with
 * --json, the answer. Returns an exit status. */
int cli_do(struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
           const char *done);
/* GET path and print its items as a table (or the JSON). */
int cli_list(struct cli_ctx *ctx, const char *path, const struct render_col *cols, size_t ncols,
             const char *empty_msg);

#endif
