/* SPDX-License-Identifier: Apache-2.0 */
/* template list: each template with its newest version. */
#include "cli_api.h"

static int exec_template_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    json_t *answer = NULL;
    int rc = cli_api(ctx, "GET", "/templates", NULL, &answer);
    if (rc != CLI_OK || ctx->json) {
        if (rc == CLI_OK)
            cli_print_json_ok(ctx, answer);
        json_decref(answer);
        return rc;
    }
    /* One row per template: the newest version's facts and how many versions there are. */
    json_t *rows = json_array(), *t;
    size_t i;
    json_array_foreach(json_object_get(answer, "items"), i, t)
    {
        json_t *versions = json_object_get(t, "versions");
        json_t *row = json_deep_copy(json_array_get(versions, json_array_size(versions) - 1));
        if (!row)
            row = json_object();
        json_object_set(row, "name", json_object_get(t, "name"));
        json_object_set_new(row, "count", json_integer((json_int_t)json_array_size(versions)));
        json_array_append_new(rows, row);
    }
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},       {">VERSION", "version", R_TEXT},
        {">VERSIONS", "count", R_TEXT}, {">MEMORY_MB", "memory_mb", R_TEXT},
        {">VCPUS", "vcpus", R_TEXT},    {"RDP", "has_rdp", R_TEXT},
        {"CREATED", "created", R_TIME},
    };
    render_table(ctx->out, rows, cols, sizeof cols / sizeof cols[0],
                 "no templates; build the demo one: deskpool template build tiny");
    json_decref(rows);
    json_decref(answer);
    return CLI_OK;
}

const struct cli_cmd cmd_template_list = {
    .name = "template list",
    .usage = "",
    .help = "list templates and their newest versions",
    .exec = exec_template_list,
};
