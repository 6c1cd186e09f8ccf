/* SPDX-License-Identifier: Apache-2.0 */
/* user show NAME. */
#include "cmds.h"

static int exec_user_show(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512];
    json_t *u = NULL;
    if (cli_path(path, sizeof path, "/users/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the user name is too long");
    int rc = cli_api(ctx, "GET", path, NULL, &u);
    if (rc == CLI_OK && ctx->json)
        cli_print_json_ok(ctx, u);
    else if (rc == CLI_OK)
        render_object(ctx->out, u);
    json_decref(u);
    return rc;
}

const struct cli_cmd cmd_user_show = {
    .name = "user show",
    .usage = "NAME",
    .help = "show one user",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_user_show,
};
