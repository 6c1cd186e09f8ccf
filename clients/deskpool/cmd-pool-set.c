/* SPDX-License-Identifier: Apache-2.0 */
/* pool set NAME --OPTION VALUE ...: change a pool's settings (not its name, type, template). */
#include "cmds.h"
#include "pool_fields.h"

static int exec_pool_set(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    json_t *body;
    if (cli_path(path, sizeof path, "/pools/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the pool name is too long");
    int rc = pool_fields_body(ctx, a, 0, &body);
    if (rc != CLI_OK)
        return rc;
    if (json_object_size(body) == 0) {
        json_decref(body);
        return cli_usage(ctx, "nothing to change; name at least one setting");
    }
    snprintf(done, sizeof done, "pool %s updated", a->argv[0]);
    return cli_do(ctx, "PATCH", path, body, done);
}

const struct cli_cmd cmd_pool_set = {
    .name = "pool set",
    .usage = "NAME [--max N] [--spare N] [--disconnect-timeout D] [...]",
    .help = "change a pool's settings (recompose changes its template version)",
    .more = "  --version N, --min N, --max N, --spare N, --spare-stopped N, --naming PATTERN,\n"
            "  --max-provisioning N, --disconnect-timeout D, --idle-timeout D,\n"
            "  --max-session D, --refresh-on-logoff yes|no, --allow-user-reset yes|no,\n"
            "  --clone-mode instant|boot, --memory MB, --vcpus N\n"
            "  (see deskpool pool create --help; durations: 90, 90s, 15m, 2h, 1d)\n",
    .opts = pool_set_opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_set,
};
