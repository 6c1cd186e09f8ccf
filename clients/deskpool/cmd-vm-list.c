/* SPDX-License-Identifier: Apache-2.0 */
/* vm list [--pool P]: VMs, their state and who has them. */
#include "cmds.h"

static int exec_vm_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512] = "/vms";
    const char *pool = cli_arg(a, "--pool");
    if (pool && cli_path(path, sizeof path, "/vms?pool=%s", pool) != 0)
        return cli_usage(ctx, "the pool name is too long");
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},
        {"POOL", "pool", R_TEXT},
        {"STATE", "state", R_TEXT},
        {"USER", "user", R_TEXT},
        {"HOST", "host", R_TEXT},
        {">PORT", "rdp_port", R_TEXT},
        {">VERSION", "template_version", R_TEXT},
        {"SINCE", "state_changed", R_TIME},
        {"LAST_ERROR", "last_error", R_TEXT},
    };
    return cli_list(ctx, path, cols, sizeof cols / sizeof cols[0],
                    pool ? "no VMs in this pool yet" : "no VMs; pools make them");
}

static const struct cli_opt opts[] = {{"--pool", 1}, {NULL, 0}};

const struct cli_cmd cmd_vm_list = {
    .name = "vm list",
    .usage = "[--pool P]",
    .help = "list VMs (of one pool with --pool)",
    .opts = opts,
    .exec = exec_vm_list,
};
