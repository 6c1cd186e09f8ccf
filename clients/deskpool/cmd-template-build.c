/* SPDX-License-Identifier: Apache-2.0 */
/* template build tiny: deskpoold builds the demo template from Debian packages (cached). */
#include "cmds.h"
#include "cli_progress.h"

#include <string.h>

#define BUILD_TIMEOUT_MS (30 * 60 * 1000) /* a first build downloads and packs a system */

/* "template tiny version 3 ready: 256 MiB, 1 vCPU, RDP" from the template object. */
void template_describe(json_t *tpl, char *buf, size_t cap)
{
    json_t *versions = json_object_get(tpl, "versions");
    json_t *v = json_array_get(versions, json_array_size(versions) - 1);
    snprintf(buf, cap, "template %s version %lld ready: %lld MiB, %lld vCPU%s%s",
             json_string_value(json_object_get(tpl, "name")) ?: "?",
             (long long)json_integer_value(json_object_get(v, "version")),
             (long long)json_integer_value(json_object_get(v, "memory_mb")),
             (long long)json_integer_value(json_object_get(v, "vcpus")),
             json_integer_value(json_object_get(v, "vcpus")) == 1 ? "" : "s",
             json_is_true(json_object_get(v, "has_rdp")) ? ", RDP desktop" : ", no RDP desktop");
}

static int exec_template_build(struct cli_ctx *ctx, const struct cli_args *a)
{
    if (strcmp(a->argv[0], "tiny") != 0)
        return cli_usage(ctx,
                         "deskpoold builds only the \"tiny\" demo template; bring your own image "
                         "with: deskpool template import NAME IMAGE");
    struct cli_progress p;
    progress_start(&p, ctx->out, ctx->interactive && !ctx->json,
                   "building template tiny (the first build takes minutes, later ones are "
                   "cached)");
    json_t *tpl = NULL;
    int timeout = ctx->timeout_ms > BUILD_TIMEOUT_MS ? ctx->timeout_ms : BUILD_TIMEOUT_MS;
    int rc = cli_api_ex(ctx, "POST", "/templates/tiny/build", NULL, timeout, progress_tick, &p,
                        &tpl, NULL);
    progress_end(&p);
    if (rc == CLI_OK) {
        char line[512];
        template_describe(tpl, line, sizeof line);
        if (ctx->json)
            cli_print_json_ok(ctx, tpl);
        else
            fprintf(ctx->out, "%s\n", line);
    }
    json_decref(tpl);
    return rc;
}

const struct cli_cmd cmd_template_build = {
    .name = "template build",
    .usage = "tiny",
    .help = "build the tiny demo template from Debian packages (cached after the first time)",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_template_build,
};
