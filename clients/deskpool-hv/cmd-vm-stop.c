/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_vm_stop(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_stop_entry;
    static const struct option opts[] = {{"timeout", 1, 0, 't'}, {0, 0, 0, 0}};
    int timeout_s = 30, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 't')
            return cmd_usage(&cmd_vm_stop_entry);
        timeout_s = atoi(optarg);
    }
    if (argc - optind != 1)
        return cmd_usage(&cmd_vm_stop_entry);
    struct dp_err err = {0};
    if (ctx->hv->ops->stop(ctx->hv, argv[optind], timeout_s * 1000, &err) != 0)
        return cmd_fail(&err);
    printf("VM %s stopped\n", argv[optind]);
    return 0;
}

const struct cmd_entry cmd_vm_stop_entry = {
    "vm stop", "NAME [--timeout SECONDS]",
    "ask the guest to power down (ACPI), force it off after the timeout (default 30 s)",
    exec_vm_stop};
