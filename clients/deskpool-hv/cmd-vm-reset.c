/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

static int exec_vm_reset(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_reset_entry;
    return cmd_vm_simple(ctx, argc, argv, &cmd_vm_reset_entry, ctx->hv->ops->reset_disk,
                         "disk reset to its template");
}

const struct cmd_entry cmd_vm_reset_entry = {
    "vm reset", "NAME", "discard a stopped VM's overlay and make a fresh one on the same base",
    exec_vm_reset};
