/* SPDX-License-Identifier: Apache-2.0 */
/* session disconnect ID|USER [--pool P]. */
#include "cmds.h"

static int exec_session_disconnect(struct cli_ctx *ctx, const struct cli_args *a)
{
    long long id;
    int rc = session_pick(ctx, a->argv[0], cli_arg(a, "--pool"), &id);
    if (rc != CLI_OK)
        return rc;
    char path[64], done[128];
    snprintf(path, sizeof path, "/sessions/%lld/disconnect", id);
    snprintf(done, sizeof done, "session %lld disconnected", id);
    return cli_do(ctx, "POST", path, NULL, done);
}

static const struct cli_opt opts[] = {{"--pool", 1}, {NULL, 0}};

const struct cli_cmd cmd_session_disconnect = {
    .name = "session disconnect",
    .usage = "ID|USER [--pool P]",
    .help = "disconnect a session; the user can reconnect until the pool's disconnect timeout",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_session_disconnect,
};
