/* SPDX-License-Identifier: Apache-2.0 */
/* vm stop NAME: queued by deskpoold; `deskpool vm show NAME` follows it. */
#include "cmds.h"

static int exec_vm_stop(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[400];
    if (cli_path(path, sizeof path, "/vms/%s/stop", a->argv[0]) != 0)
        return cli_usage(ctx, "the VM name is too long");
    snprintf(done, sizeof done, "vm %s: stop requested (watch: deskpool vm show %s)", a->argv[0],
             a->argv[0]);
    return cli_do(ctx, "POST", path, NULL, done);
}

const struct cli_cmd cmd_vm_stop = {
    .name = "vm stop",
    .usage = "NAME",
    .help = "power a VM off gracefully (forced after a timeout)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_vm_stop,
};
