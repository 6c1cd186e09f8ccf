/* SPDX-License-Identifier: Apache-2.0 */
/* status: is deskpoold up, and what does it run. */
#include "cmds.h"

static int exec_status(struct cli_ctx *ctx, const struct cli_args *a)
{
    json_t *s = NULL;
    int rc = cli_api(ctx, "GET", "/status", NULL, &s);
    if (rc != CLI_OK || ctx->json) {
        if (rc == CLI_OK)
            cli_print_json_ok(ctx, s);
        json_decref(s);
        return rc;
    }
    char up[64], states[512];
    render_value(json_object_get(s, "uptime_s"), R_DURATION, up, sizeof up);
    pool_counts_text(json_object_get(s, "vms"), states, sizeof states);
    json_t *host = json_object_get(s, "host"), *pools = json_object_get(s, "pools");
    /* A count, or the pools themselves: either way people want the number. */
    long long npools = json_is_array(pools) ? (long long)json_array_size(pools)
                                            : (long long)json_integer_value(pools);
    fprintf(ctx->out,
            "deskpoold %s at %s, up %s\n"
            "pools:    %lld\n"
            "VMs:      %s\n"
            "sessions: %lld live\n"
            "memory:   %lld MiB available of %lld MiB\n",
            json_string_value(json_object_get(s, "version")) ?: "?", ctx->socket, up, npools,
            states, (long long)json_integer_value(json_object_get(s, "sessions_live")),
            (long long)json_integer_value(json_object_get(host, "mem_available_mb")),
            (long long)json_integer_value(json_object_get(host, "mem_total_mb")));
    json_decref(s);
    return CLI_OK;
}

const struct cli_cmd cmd_status = {
    .name = "status",
    .usage = "",
    .help = "is deskpoold running: version, uptime, pools, VMs by state, sessions, memory",
    .exec = exec_status,
};
