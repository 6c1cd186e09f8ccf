/* SPDX-License-Identifier: Apache-2.0 */
/* session list [--pool P] [--all]. */
#include "cmds.h"

#include <string.h>

static int exec_session_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512];
    const char *pool = cli_arg(a, "--pool");
    const char *live = cli_arg(a, "--all") ? "" : "live=1";
    if (pool) {
        if (cli_path(path, sizeof path, "/sessions?pool=%s", pool) != 0)
            return cli_usage(ctx, "the pool name is too long");
        if (*live)
            strncat(path, "&live=1", sizeof path - strlen(path) - 1);
    } else
        snprintf(path, sizeof path, "/sessions%s%s", *live ? "?" : "", live);
    static const struct render_col cols[] = {
        {">ID", "id", R_TEXT},
        {"USER", "user", R_TEXT},
        {"POOL", "pool", R_TEXT},
        {"VM", "vm", R_TEXT},
        {"STATE", "state", R_TEXT},
        {"STARTED", "started", R_TIME},
        {"LAST_SEEN", "last_seen", R_TIME},
        {"CLIENT", "client_addr", R_TEXT},
    };
    return cli_list(ctx, path, cols, sizeof cols / sizeof cols[0],
                    cli_arg(a, "--all") ? "no sessions" : "no live sessions");
}

static const struct cli_opt opts[] = {{"--pool", 1}, {"--all", 0}, {NULL, 0}};

const struct cli_cmd cmd_session_list = {
    .name = "session list",
    .usage = "[--pool P] [--all]",
    .help = "list live sessions (--all: ended ones too)",
    .opts = opts,
    .exec = exec_session_list,
};
