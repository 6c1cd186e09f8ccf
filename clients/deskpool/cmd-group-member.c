/* SPDX-License-Identifier: Apache-2.0 */
/* group member GROUP USER [--remove]. */
#include "cmds.h"

static int exec_group_member(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    const char *group = a->argv[0], *user = a->argv[1];
    if (cli_arg(a, "--remove")) {
        if (cli_path(path, sizeof path, "/groups/%s/members/%s", group, user) != 0)
            return cli_usage(ctx, "the group or user name is too long");
        snprintf(done, sizeof done, "user %s removed from group %s", user, group);
        return cli_do(ctx, "DELETE", path, NULL, done);
    }
    if (cli_path(path, sizeof path, "/groups/%s/members", group) != 0)
        return cli_usage(ctx, "the group name is too long");
    snprintf(done, sizeof done, "user %s added to group %s", user, group);
    return cli_do(ctx, "POST", path, json_pack("{s:s}", "user", user), done);
}

static const struct cli_opt opts[] = {{"--remove", 0}, {NULL, 0}};

const struct cli_cmd cmd_group_member = {
    .name = "group member",
    .usage = "GROUP USER [--remove]",
    .help = "add a user to a group (or take them out with --remove)",
    .opts = opts,
    .min_args = 2,
    .max_args = 2,
    .exec = exec_group_member,
};
