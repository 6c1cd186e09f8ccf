/* SPDX-License-Identifier: Apache-2.0 */
/* group list. */
#include "cmds.h"

static int exec_group_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},
        {"MEMBERS", "members", R_LIST},
        {"POOLS", "pools", R_LIST},
    };
    return cli_list(ctx, "/groups", cols, sizeof cols / sizeof cols[0],
                    "no groups; add one: deskpool group add NAME");
}

const struct cli_cmd cmd_group_list = {
    .name = "group list",
    .usage = "",
    .help = "list groups and their members",
    .exec = exec_group_list,
};
