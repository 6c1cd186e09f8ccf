/* SPDX-License-Identifier: Apache-2.0 */
/* pool show NAME: its settings, counts, pause reason, and its VMs. */
#include "cmds.h"

static int exec_pool_show(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512];
    json_t *p = NULL;
    if (cli_path(path, sizeof path, "/pools/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the pool name is too long");
    int rc = cli_api(ctx, "GET", path, NULL, &p);
    if (rc == CLI_OK && ctx->json)
        cli_print_json_ok(ctx, p);
    else if (rc == CLI_OK) {
        render_object(ctx->out, p);
        static const struct render_col cols[] = {
            {"NAME", "name", R_TEXT},           {"STATE", "state", R_TEXT},
            {"USER", "user", R_TEXT},           {"HOST", "host", R_TEXT},
            {">PORT", "rdp_port", R_TEXT},      {">VERSION", "template_version", R_TEXT},
            {"SINCE", "state_changed", R_TIME}, {"LAST_ERROR", "last_error", R_TEXT},
        };
        fprintf(ctx->out, "\nVMs:\n");
        render_table(ctx->out, json_object_get(p, "vms"), cols, sizeof cols / sizeof cols[0],
                     "(none yet)");
    }
    json_decref(p);
    return rc;
}

const struct cli_cmd cmd_pool_show = {
    .name = "pool show",
    .usage = "NAME",
    .help = "show a pool: settings, counts, pause reason and its VMs",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_show,
};
