/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_POOL_FIELDS_H
#define DESKPOOL_CLI_POOL_FIELDS_H

/* The pool settings as options (`pool create`, `pool set`, `pool resize`) and as the API's
 * pool object fields, in one table so the three commands agree. */
#include "cli.h"

#include <jansson.h>

extern const struct cli_opt pool_create_opts[];
extern const struct cli_opt pool_set_opts[];
extern const struct cli_opt pool_resize_opts[];

/*
 * Builds the API body from the pool options present in a (only those). creating allows
 * --template and --type. Returns CLI_OK with *body set (possibly empty), or CLI_USAGE after
 * printing what is wrong.
 */
int pool_fields_body(struct cli_ctx *ctx, const struct cli_args *a, int creating, json_t **body);

/* Parses "90", "90s", "15m", "2h", "1d" as seconds. Returns -1 if it is none of those. */
long pool_parse_duration(const char *s);

#endif
