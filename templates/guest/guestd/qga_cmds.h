/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_QGA_CMDS_H
#define DESKPOOL_QGA_CMDS_H

/*
 * One QGA command per entry, each in its own cmd_*.c file (the tmux cmd_entry pattern).
 * A command returns its "return" value (a new reference), or NULL with call->err set;
 * it sets call->no_reply when success has no reply (guest-shutdown, as in qemu-ga).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "guestd.h"

struct qga_call {
    const struct guestd_ctx *ctx;
    struct dp_err err;
    int no_reply;  /* success sends nothing */
    int delimited; /* precede the reply with 0xFF (guest-sync-delimited) */
};

struct qga_cmd {
    const char *name;
    json_t *(*exec)(struct qga_call *call, json_t *args);
    int success_response; /* reported by guest-info; 0 for commands that never reply */
};

/* The command table, NULL-terminated name. */
extern const struct qga_cmd qga_cmds[];
const struct qga_cmd *qga_cmd_find(const char *name);

/* Argument checking with qemu-ga's wording, so client errors look the same. */
enum qga_arg_type { QGA_ARG_INT, QGA_ARG_STR, QGA_ARG_BOOL };
struct qga_arg {
    const char *name;
    enum qga_arg_type type;
    int required;
};
/* Rejects unexpected, missing and wrongly typed arguments. args may be NULL (none). */
int qga_args_check(struct qga_call *call, json_t *args, const struct qga_arg *spec, size_t n);

json_t *cmd_guest_sync(struct qga_call *call, json_t *args);
json_t *cmd_guest_sync_delimited(struct qga_call *call, json_t *args);
json_t *cmd_guest_ping(struct qga_call *call, json_t *args);
json_t *cmd_guest_info(struct qga_call *call, json_t *args);
json_t *cmd_guest_set_user_password(struct qga_call *call, json_t *args);
json_t *cmd_guest_get_users(struct qga_call *call, json_t *args);
json_t *cmd_guest_shutdown(struct qga_call *call, json_t *args);
json_t *cmd_guest_network_get_interfaces(struct qga_call *call, json_t *args);
json_t *cmd_guest_set_time(struct qga_call *call, json_t *args);
json_t *cmd_deskpool_set_host_name(struct qga_call *call, json_t *args);
json_t *cmd_deskpool_set_user_nthash(struct qga_call *call, json_t *args);
json_t *cmd_deskpool_logoff_user(struct qga_call *call, json_t *args);
json_t *cmd_deskpool_add_entropy(struct qga_call *call, json_t *args);

/* 32 hex digits (either case) to 16 bytes; -1 (out wiped) for anything else. Pure. */
int guestd_nthash_parse(const char *hex, size_t len, uint8_t out[16]);

#endif
