/* SPDX-License-Identifier: Apache-2.0 */
/* user enable NAME. */
#include "cmds.h"

static int exec_user_enable(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    if (cli_path(path, sizeof path, "/users/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the user name is too long");
    snprintf(done, sizeof done, "user %s enabled", a->argv[0]);
    return cli_do(ctx, "PATCH", path, json_pack("{s:b}", "enabled", 1), done);
}

const struct cli_cmd cmd_user_enable = {
    .name = "user enable",
    .usage = "NAME",
    .help = "let a disabled user log in again",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_user_enable,
};
