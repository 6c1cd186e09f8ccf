/* SPDX-License-Identifier: Apache-2.0 */
/* user delete NAME (refused while they own a personal VM). */
#include "cmds.h"

static int exec_user_delete(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    if (cli_path(path, sizeof path, "/users/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the user name is too long");
    snprintf(done, sizeof done, "user %s deleted", a->argv[0]);
    return cli_do(ctx, "DELETE", path, NULL, done);
}

const struct cli_cmd cmd_user_delete = {
    .name = "user delete",
    .usage = "NAME",
    .help = "delete a user (not while they own a personal VM)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_user_delete,
};
