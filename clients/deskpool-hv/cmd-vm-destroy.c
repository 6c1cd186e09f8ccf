/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

static int exec_vm_destroy(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_destroy_entry;
    return cmd_vm_simple(ctx, argc, argv, &cmd_vm_destroy_entry, ctx->hv->ops->destroy,
                         "destroyed");
}

const struct cmd_entry cmd_vm_destroy_entry = {
    "vm destroy", "NAME", "kill a VM if it runs and delete its folder and disk overlay",
    exec_vm_destroy};
