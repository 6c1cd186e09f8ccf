/* SPDX-License-Identifier: Apache-2.0 */
/* vm reset NAME: queued by deskpoold; `deskpool vm show NAME` follows it. */
#include "cmds.h"

static int exec_vm_reset(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[400];
    if (cli_path(path, sizeof path, "/vms/%s/reset", a->argv[0]) != 0)
        return cli_usage(ctx, "the VM name is too long");
    snprintf(done, sizeof done,
             "vm %s: reset requested: its disk is re-cloned from the template (watch: deskpool vm "
             "show %s)",
             a->argv[0], a->argv[0]);
    return cli_do(ctx, "POST", path, NULL, done);
}

const struct cli_cmd cmd_vm_reset = {
    .name = "vm reset",
    .usage = "NAME",
    .help = "log the user off, discard the VM's disk changes and re-clone it from the template",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_vm_reset,
};
