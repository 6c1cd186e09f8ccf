/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"
#include "ready.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_vm_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_wait_entry;
    static const struct option opts[] = {
        {"timeout", 1, 0, 't'}, {"no-rdp-check", 0, 0, 'n'}, {0, 0, 0, 0}};
    int timeout_s = 60, rdp_check = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            timeout_s = atoi(optarg);
        else if (c == 'n')
            rdp_check = 0;
        else
            return cmd_usage(&cmd_vm_wait_entry);
    }
    if (argc - optind != 1)
        return cmd_usage(&cmd_vm_wait_entry);
    struct dp_err err = {0};
    struct hv_vm_spec spec;
    if (ctx->hv->ops->attach(ctx->hv, argv[optind], &spec, &err) != 0)
        return cmd_fail(&err);
    int ms =
        hv_wait_ready(ctx->hv, argv[optind], timeout_s * 1000, rdp_check && spec.has_rdp, &err);
    if (ms < 0)
        return cmd_fail(&err);
    printf("VM %s ready (%d ms)\n", argv[optind], ms);
    return 0;
}

const struct cmd_entry cmd_vm_wait_entry = {
    "vm wait", "NAME [--timeout SECONDS] [--no-rdp-check]",
    "wait until a running VM's guest agent (and RDP port) answer", exec_vm_wait};
