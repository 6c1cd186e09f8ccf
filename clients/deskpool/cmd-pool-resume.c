/* SPDX-License-Identifier: Apache-2.0 */
/* pool resume NAME: clear the pause provisioning failures put on a pool. */
#include "cmds.h"

static int exec_pool_resume(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    if (cli_path(path, sizeof path, "/pools/%s/resume", a->argv[0]) != 0)
        return cli_usage(ctx, "the pool name is too long");
    snprintf(done, sizeof done, "pool %s resumed; it provisions again", a->argv[0]);
    return cli_do(ctx, "POST", path, NULL, done);
}

const struct cli_cmd cmd_pool_resume = {
    .name = "pool resume",
    .usage = "NAME",
    .help = "resume a pool paused after repeated provisioning failures",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_resume,
};
