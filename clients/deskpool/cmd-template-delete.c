/* SPDX-License-Identifier: Apache-2.0 */
/* template delete NAME (refused while a pool uses it). */
#include "cli_api.h"

static int exec_template_delete(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], done[300];
    if (cli_path(path, sizeof path, "/templates/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the template name is too long");
    snprintf(done, sizeof done, "template %s deleted", a->argv[0]);
    return cli_do(ctx, "DELETE", path, NULL, done);
}

const struct cli_cmd cmd_template_delete = {
    .name = "template delete",
    .usage = "NAME",
    .help = "delete a template and its versions (not while a pool uses it)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_template_delete,
};
