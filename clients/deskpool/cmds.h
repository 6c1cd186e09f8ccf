/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_CMDS_H
#define DESKPOOL_CLI_CMDS_H

/* What more than one command file needs. */
#include "cli_api.h"

/* "template tiny version 3 ready: 256 MiB, 1 vCPU, RDP desktop" (cmd-template-build.c). */
void template_describe(json_t *tpl, char *buf, size_t cap);

/*
 * Polls GET /pools/NAME until its spare target is met (spare_ready >= spare), showing counts
 * on a terminal; fails if the pool pauses (restraint) or after timeout_s. Stores the last
 * pool object in *last (may be NULL). Returns an exit status (pool_wait.c).
 */
int pool_wait_spare(struct cli_ctx *ctx, const char *pool, int timeout_s, json_t **last);

/* "ready 2, provisioning 1" from a pool's counts, states with zero left out. */
void pool_counts_text(json_t *counts, char *buf, size_t cap);

/*
 * The session an argument names: a number is a session id; anything else is a user name,
 * resolved to that user's one live session (in pool, if not NULL). Returns an exit status;
 * on CLI_OK *id is set (session_pick.c).
 */
int session_pick(struct cli_ctx *ctx, const char *arg, const char *pool, long long *id);

#endif
