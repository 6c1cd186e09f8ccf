/* SPDX-License-Identifier: Apache-2.0 */
/* user passwd NAME: a new password, prompted for (or one line of stdin). */
#include "cmds.h"
#include "cli_password.h"

#include "err.h"

#include <string.h>
#include <unistd.h>

static int exec_user_passwd(struct cli_ctx *ctx, const struct cli_args *a)
{
    char pw[CLI_PASSWORD_MAX], path[512], done[300];
    struct dp_err err = {0};
    if (cli_path(path, sizeof path, "/users/%s/password", a->argv[0]) != 0)
        return cli_usage(ctx, "the user name is too long");
    if (cli_password_read(STDIN_FILENO, ctx->err, a->argv[0], pw, sizeof pw, &err) != 0) {
        fprintf(ctx->err, "deskpool: password of %s not changed: %s\n", a->argv[0],
                dp_err_msg(&err));
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s}", "password", pw);
    explicit_bzero(pw, sizeof pw);
    snprintf(done, sizeof done, "password of %s changed", a->argv[0]);
    return cli_do(ctx, "PUT", path, body, done);
}

const struct cli_cmd cmd_user_passwd = {
    .name = "user passwd",
    .usage = "NAME",
    .help = "set a user's password (typed twice on a terminal, or one line of stdin)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_user_passwd,
};
