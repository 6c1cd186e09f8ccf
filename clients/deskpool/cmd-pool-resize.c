/* SPDX-License-Identifier: Apache-2.0 */
/* pool resize NAME [--max N] [--spare N] [--min N] [--spare-stopped N]. */
#include "cmds.h"
#include "pool_fields.h"

static int exec_pool_resize(struct cli_ctx *ctx, const struct cli_args *a)
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
        return cli_usage(ctx, "give at least one of --max, --spare, --min, --spare-stopped");
    }
    snprintf(done, sizeof done, "pool %s resized", a->argv[0]);
    return cli_do(ctx, "PATCH", path, body, done);
}

const struct cli_cmd cmd_pool_resize = {
    .name = "pool resize",
    .usage = "NAME [--max N] [--spare N] [--min N] [--spare-stopped N]",
    .help = "change how many VMs a pool may have and keeps ready",
    .opts = pool_resize_opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_resize,
};
