/* SPDX-License-Identifier: Apache-2.0 */
/* pool recompose NAME [--version N] [--deadline D]: roll a template version out. */
#include "cmds.h"
#include "pool_fields.h"

static int exec_pool_recompose(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[400];
    long version = 0;
    int has_version;
    if (cli_path(path, sizeof path, "/pools/%s/recompose", a->argv[0]) != 0)
        return cli_usage(ctx, "the pool name is too long");
    if (cli_arg_int(ctx, a, "--version", 1, 1000000, &version, &has_version) != 0)
        return CLI_USAGE;
    json_t *body = json_object();
    if (has_version)
        json_object_set_new(body, "version", json_integer(version));
    const char *deadline = cli_arg(a, "--deadline");
    if (deadline) {
        long s = pool_parse_duration(deadline);
        if (s < 0) {
            json_decref(body);
            return cli_usage(ctx, "--deadline needs a duration like 90s, 15m or 2h, not \"%s\"",
                             deadline);
        }
        json_object_set_new(body, "deadline_s", json_integer(s));
    }
    snprintf(done, sizeof done,
             "pool %s: recompose started; idle VMs are rebuilt now, in-use ones at logoff%s%s "
             "(watch: deskpool pool show %s)",
             a->argv[0], deadline ? " or at the deadline, in " : "", deadline ? deadline : "",
             a->argv[0]);
    return cli_do(ctx, "POST", path, body, done);
}

static const struct cli_opt opts[] = {{"--version", 1}, {"--deadline", 1}, {NULL, 0}};

const struct cli_cmd cmd_pool_recompose = {
    .name = "pool recompose",
    .usage = "NAME [--version N] [--deadline D]",
    .help = "rebuild a pool's VMs on a template version (default: the newest)",
    .more = "  --version N   the template version to roll out\n"
            "  --deadline D  log in-use VMs off after D (90s, 15m, 2h); without it they are\n"
            "                rebuilt when their user logs off\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_recompose,
};
