/* SPDX-License-Identifier: Apache-2.0 */
/* template show NAME: the template and all its versions. */
#include "cli_api.h"

static int exec_template_show(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512];
    json_t *t = NULL;
    if (cli_path(path, sizeof path, "/templates/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the template name is too long");
    int rc = cli_api(ctx, "GET", path, NULL, &t);
    if (rc == CLI_OK && ctx->json)
        cli_print_json_ok(ctx, t);
    else if (rc == CLI_OK) {
        render_object(ctx->out, t);
        static const struct render_col cols[] = {
            {">VERSION", "version", R_TEXT}, {">MEMORY_MB", "memory_mb", R_TEXT},
            {">VCPUS", "vcpus", R_TEXT},     {"RDP", "has_rdp", R_TEXT},
            {"CREATED", "created", R_TIME},  {"SHA256", "sha256", R_TEXT},
        };
        fprintf(ctx->out, "\nversions:\n");
        render_table(ctx->out, json_object_get(t, "versions"), cols, sizeof cols / sizeof cols[0],
                     "(none)");
    }
    json_decref(t);
    return rc;
}

const struct cli_cmd cmd_template_show = {
    .name = "template show",
    .usage = "NAME",
    .help = "show a template and its versions",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_template_show,
};
