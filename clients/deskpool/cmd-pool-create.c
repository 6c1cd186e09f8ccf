/* SPDX-License-Identifier: Apache-2.0 */
/* pool create NAME --template T --type pooled|personal --max N [...] [--wait]. */
#include "cmds.h"
#include "pool_fields.h"

#include <stdio.h>

#define WAIT_DEFAULT_S 600

static int exec_pool_create(struct cli_ctx *ctx, const struct cli_args *a)
{
    long wait_s = WAIT_DEFAULT_S;
    if (!cli_arg(a, "--template") || !cli_arg(a, "--type") || !cli_arg(a, "--max"))
        return cli_usage(ctx, "--template, --type and --max are required");
    if (cli_arg_int(ctx, a, "--wait-timeout", 1, 86400, &wait_s, NULL) != 0)
        return CLI_USAGE;
    json_t *body;
    int rc = pool_fields_body(ctx, a, 1, &body);
    if (rc != CLI_OK)
        return rc;
    json_object_set_new(body, "name", json_string(a->argv[0]));
    json_t *pool = NULL;
    rc = cli_api(ctx, "POST", "/pools", body, &pool);
    json_decref(body);
    if (rc != CLI_OK)
        return rc;
    if (!ctx->json)
        fprintf(ctx->out, "pool %s created (%s, template %s, max %lld, spare %lld)\n", a->argv[0],
                cli_arg(a, "--type"), cli_arg(a, "--template"),
                (long long)json_integer_value(json_object_get(pool, "max")),
                (long long)json_integer_value(json_object_get(pool, "spare")));
    if (cli_arg(a, "--wait")) {
        json_t *last = NULL;
        rc = pool_wait_spare(ctx, a->argv[0], (int)wait_s, &last);
        if (rc == CLI_OK && !ctx->json)
            fprintf(ctx->out, "pool %s: %lld of %lld spare VMs ready\n", a->argv[0],
                    (long long)json_integer_value(
                        json_object_get(json_object_get(last, "counts"), "spare_ready")),
                    (long long)json_integer_value(json_object_get(last, "spare")));
        if (last) {
            json_decref(pool);
            pool = last;
        }
    }
    if (ctx->json)
        cli_print_json_ok(ctx, pool);
    json_decref(pool);
    return rc;
}

#define HELP_WAIT                                                                                  \
    "  --wait                  wait until the spare target is reached (progress on a terminal)\n"  \
    "  --wait-timeout S        give up waiting after S seconds (default 600)\n"

const struct cli_cmd cmd_pool_create = {
    .name = "pool create",
    .usage = "NAME --template T --type pooled|personal --max N [--spare N] [OPTIONS] [--wait]",
    .help = "create a pool of desktop VMs cloned from a template",
    .more = "  --template T            template to clone\n"
            "  --type pooled|personal  pooled: any ready VM, refreshed at logoff; personal: one\n"
            "                          VM per user for good\n"
            "  --version N             template version (default: the newest)\n"
            "  --min N                 VMs to keep in total\n"
            "  --max N                 most VMs the pool may have\n"
            "  --spare N               VMs kept running and ready for the next user\n"
            "  --spare-stopped N       VMs kept prepared but powered off\n"
            "  --naming PATTERN        VM names, e.g. lab-{n:03}\n"
            "  --max-provisioning N    VMs prepared at once\n"
            "  --disconnect-timeout D  log a disconnected session off after D (90s, 15m, 2h)\n"
            "  --idle-timeout D, --max-session D\n"
            "  --refresh-on-logoff yes|no, --allow-user-reset yes|no\n"
            "  --clone-mode instant|boot\n"
            "  --memory MB, --vcpus N  override the template's\n" HELP_WAIT,
    .opts = pool_create_opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_create,
};
