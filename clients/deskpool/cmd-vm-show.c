/* SPDX-License-Identifier: Apache-2.0 */
/* vm show NAME. */
#include "cmds.h"

static int exec_vm_show(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512];
    json_t *vm = NULL;
    if (cli_path(path, sizeof path, "/vms/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the VM name is too long");
    int rc = cli_api(ctx, "GET", path, NULL, &vm);
    if (rc == CLI_OK && ctx->json)
        cli_print_json_ok(ctx, vm);
    else if (rc == CLI_OK)
        render_object(ctx->out, vm);
    json_decref(vm);
    return rc;
}

const struct cli_cmd cmd_vm_show = {
    .name = "vm show",
    .usage = "NAME",
    .help = "show one VM",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_vm_show,
};
