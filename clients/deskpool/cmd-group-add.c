/* SPDX-License-Identifier: Apache-2.0 */
/* group add NAME. */
#include "cmds.h"

static int exec_group_add(struct cli_ctx *ctx, const struct cli_args *a)
{
    char done[400];
    snprintf(done, sizeof done,
             "group %s added; add members: deskpool group member %s USER, entitle it: "
             "deskpool entitle POOL --group %s",
             a->argv[0], a->argv[0], a->argv[0]);
    return cli_do(ctx, "POST", "/groups", json_pack("{s:s}", "name", a->argv[0]), done);
}

const struct cli_cmd cmd_group_add = {
    .name = "group add",
    .usage = "NAME",
    .help = "add a group of users (entitle the group instead of each user)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_group_add,
};
