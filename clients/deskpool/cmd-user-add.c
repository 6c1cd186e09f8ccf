/* SPDX-License-Identifier: Apache-2.0 */
/* user add NAME [--display-name D] [--default-pool P]; the password is prompted for (or one
 * line of stdin), never an argument. */
#include "cmds.h"
#include "cli_password.h"

#include "err.h"

#include <string.h>
#include <unistd.h>

static int exec_user_add(struct cli_ctx *ctx, const struct cli_args *a)
{
    char pw[CLI_PASSWORD_MAX], done[300];
    struct dp_err err = {0};
    if (cli_password_read(STDIN_FILENO, ctx->err, a->argv[0], pw, sizeof pw, &err) != 0) {
        fprintf(ctx->err, "deskpool: user %s not added: %s\n", a->argv[0], dp_err_msg(&err));
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s, s:s}", "name", a->argv[0], "password", pw);
    explicit_bzero(pw, sizeof pw);
    if (cli_arg(a, "--display-name"))
        json_object_set_new(body, "display_name", json_string(cli_arg(a, "--display-name")));
    if (cli_arg(a, "--default-pool"))
        json_object_set_new(body, "default_pool", json_string(cli_arg(a, "--default-pool")));
    snprintf(done, sizeof done,
             "user %s added; entitle them to a pool: deskpool entitle POOL "
             "--user %s",
             a->argv[0], a->argv[0]);
    /* The JSON copy of the password dies with the body (jansson frees, not wipes: acceptable
     * for a short-lived CLI process). */
    return cli_do(ctx, "POST", "/users", body, done);
}

static const struct cli_opt opts[] = {{"--display-name", 1}, {"--default-pool", 1}, {NULL, 0}};

const struct cli_cmd cmd_user_add = {
    .name = "user add",
    .usage = "NAME [--display-name TEXT] [--default-pool POOL]",
    .help = "add a local user (password: typed twice on a terminal, or one line of stdin)",
    .more = "  --display-name TEXT  the name people see\n"
            "  --default-pool POOL  the pool their desktop comes from when they do not choose\n"
            "  The password is never an argument: type it when asked, or pipe it in:\n"
            "    printf '%s\\n' \"$PW\" | deskpool user add alice\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_user_add,
};
