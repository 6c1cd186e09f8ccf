/* SPDX-License-Identifier: Apache-2.0 */
/* user list. */
#include "cmds.h"

static int exec_user_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},
        {"DISPLAY_NAME", "display_name", R_TEXT},
        {"ENABLED", "enabled", R_TEXT},
        {"LOCKED_UNTIL", "locked_until", R_TIME},
        {">FAILED", "failed_logins", R_TEXT},
        {"DEFAULT_POOL", "default_pool", R_TEXT},
        {"GROUPS", "groups", R_LIST},
        {"POOLS", "pools", R_LIST},
    };
    return cli_list(ctx, "/users", cols, sizeof cols / sizeof cols[0],
                    "no users; add one: deskpool user add NAME");
}

const struct cli_cmd cmd_user_list = {
    .name = "user list",
    .usage = "",
    .help = "list users, their groups and the pools they may use",
    .exec = exec_user_list,
};
