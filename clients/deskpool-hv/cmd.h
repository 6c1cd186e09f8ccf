/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_CLI_CMD_H
#define DESKPOOL_HV_CLI_CMD_H

/*
 * deskpool-hv: the low-level command for the hypervisor driver (like virsh). One file per
 * command, each exporting a `const struct cmd_entry`; cmd.c lists them all.
 */
#include "err.h"
#include "hv.h"

struct cmd_ctx {
    struct hv *hv;
    const char *state_dir;
    int json; /* --json: machine-readable output */
};

struct cmd_entry {
    const char *name;                                        /* "vm start", "template build", ... */
    const char *usage;                                       /* arguments after the name */
    const char *help;                                        /* one line */
    int (*exec)(struct cmd_ctx *ctx, int argc, char **argv); /* argv[0] is the command name */
};

extern const struct cmd_entry *cmd_table[];

/* Prints the error and returns the exit status for failures (1). */
int cmd_fail(const struct dp_err *err);
/* Prints "usage: deskpool-hv NAME USAGE" and returns 2. */
int cmd_usage(const struct cmd_entry *e);

/* Runs a one-argument VM operation (kill, destroy, reset) and prints "VM NAME <done>". */
int cmd_vm_simple(struct cmd_ctx *ctx, int argc, char **argv, const struct cmd_entry *e,
                  int (*op)(struct hv *, const char *, struct dp_err *), const char *done);
#endif
