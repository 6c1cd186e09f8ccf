/* SPDX-License-Identifier: Apache-2.0 */
/* pool list: every pool with its sizes and how many VMs are in which state. */
#include "cmds.h"

#include <string.h>

/* VMs in the pool, whatever their state (counts holds states plus derived spare_*). */
static long long total_vms(json_t *counts)
{
    const char *key;
    json_t *v;
    long long n = 0;
    json_object_foreach(counts, key, v)
    {
        if (strncmp(key, "spare_", 6) != 0 && strcmp(key, "total") != 0)
            n += json_integer_value(v);
    }
    return n;
}

static int exec_pool_list(struct cli_ctx *ctx, const struct cli_args *a)
{
    json_t *answer = NULL;
    int rc = cli_api(ctx, "GET", "/pools", NULL, &answer);
    if (rc != CLI_OK || ctx->json) {
        if (rc == CLI_OK)
            cli_print_json_ok(ctx, answer);
        json_decref(answer);
        return rc;
    }
    json_t *items = json_object_get(answer, "items"), *p;
    size_t i;
    json_array_foreach(items, i, p)
    {
        json_t *counts = json_object_get(p, "counts");
        char states[256];
        pool_counts_text(counts, states, sizeof states);
        json_object_set_new(p, "_vms", json_integer(total_vms(counts)));
        json_object_set_new(p, "_states", json_string(states));
    }
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},
        {"TYPE", "type", R_TEXT},
        {"TEMPLATE", "template", R_TEXT},
        {">VMS", "_vms", R_TEXT},
        {">MAX", "max", R_TEXT},
        {">SPARE", "spare", R_TEXT},
        {">READY", "counts.spare_ready", R_TEXT},
        {"PAUSED", "paused", R_TEXT},
        {"STATES", "_states", R_TEXT},
    };
    render_table(ctx->out, items, cols, sizeof cols / sizeof cols[0],
                 "no pools; create one: deskpool pool create NAME --template tiny --type "
                 "pooled --max 3 --spare 2");
    json_decref(answer);
    return CLI_OK;
}

const struct cli_cmd cmd_pool_list = {
    .name = "pool list",
    .usage = "",
    .help = "list pools: sizes, ready spares, VM states",
    .exec = exec_pool_list,
};
