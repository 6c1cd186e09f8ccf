/* SPDX-License-Identifier: Apache-2.0 */
/* vm delete NAME: destroy one VM (a pool below its targets makes a new one). */
#include "cmds.h"

static int exec_vm_delete(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    if (cli_path(path, sizeof path, "/vms/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the VM name is too long");
    snprintf(done, sizeof done, "vm %s deleted", a->argv[0]);
    return cli_do(ctx, "DELETE", path, NULL, done);
}

const struct cli_cmd cmd_vm_delete = {
    .name = "vm delete",
    .usage = "NAME",
    .help = "destroy a VM: its process and disk (its pool makes a new one if below target)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_vm_delete,
};
