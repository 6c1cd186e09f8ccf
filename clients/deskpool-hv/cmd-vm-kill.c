/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

static int exec_vm_kill(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_kill_entry;
    return cmd_vm_simple(ctx, argc, argv, &cmd_vm_kill_entry, ctx->hv->ops->kill, "killed");
}

const struct cmd_entry cmd_vm_kill_entry = {
    "vm kill", "NAME", "force a VM off at once (no guest shutdown)", exec_vm_kill};
