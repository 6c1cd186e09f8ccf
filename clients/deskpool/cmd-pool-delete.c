/* SPDX-License-Identifier: Apache-2.0 */
/* pool delete NAME [--force] [--wait]: destroy a pool and its VMs. */
#include "cmds.h"
#include "cli_progress.h"

#include "files.h"

#include <unistd.h>

/* Waits until GET /pools/NAME says 404: the workers destroyed every VM and the row. */
static int wait_gone(struct cli_ctx *ctx, const char *path, const char *name)
{
    struct cli_progress p;
    progress_start(&p, ctx->out, ctx->interactive && !ctx->json, "destroying the pool's VMs");
    uint64_t deadline = dp_now_ms() + 300 * 1000;
    /* Errors while polling (a 404 above all) are expected: keep them off the terminal. */
    FILE *quiet = fopen("/dev/null", "w");
    FILE *errf = ctx->err;
    int rc = CLI_API_ERROR;
    for (;;) {
        int status = 0;
        json_t *pl = NULL;
        ctx->err = quiet ? quiet : errf;
        int r = cli_api_ex(ctx, "GET", path, NULL, ctx->timeout_ms, NULL, NULL, &pl, &status);
        ctx->err = errf;
        if (status == 404) {
            rc = CLI_OK;
            break;
        }
        if (r == CLI_UNREACHABLE) {
            rc = r;
            fprintf(errf, "deskpool: lost deskpoold while waiting for pool %s to go\n", name);
            break;
        }
        char states[256] = "";
        pool_counts_text(json_object_get(pl, "counts"), states, sizeof states);
        json_decref(pl);
        if (dp_now_ms() >= deadline) {
            fprintf(errf,
                    "deskpool: pool %s still has VMs after 300 s (%s); see deskpool pool show "
                    "%s\n",
                    name, states, name);
            break;
        }
        progress_set(&p, "pool %s: destroying VMs (%s)", name, states);
        usleep(500 * 1000);
    }
    if (quiet)
        fclose(quiet);
    progress_end(&p);
    return rc;
}

static int exec_pool_delete(struct cli_ctx *ctx, const struct cli_args *a)
{
    char path[512], target[540];
    if (cli_path(path, sizeof path, "/pools/%s", a->argv[0]) != 0)
        return cli_usage(ctx, "the pool name is too long");
    snprintf(target, sizeof target, "%s%s", path, cli_arg(a, "--force") ? "?force=1" : "");
    int rc = cli_do(ctx, "DELETE", target, NULL, NULL);
    if (rc == CLI_OK && cli_arg(a, "--wait"))
        rc = wait_gone(ctx, path, a->argv[0]);
    if (rc == CLI_OK && !ctx->json)
        fprintf(ctx->out,
                cli_arg(a, "--wait") ? "pool %s deleted with its VMs\n"
                                     : "pool %s deleted; its VMs are being destroyed\n",
                a->argv[0]);
    return rc;
}

static const struct cli_opt opts[] = {{"--force", 0}, {"--wait", 0}, {NULL, 0}};

const struct cli_cmd cmd_pool_delete = {
    .name = "pool delete",
    .usage = "NAME [--force] [--wait]",
    .help = "delete a pool and destroy its VMs",
    .more = "  --force  log live sessions off first (otherwise refused while there are any)\n"
            "  --wait   return when every VM of the pool is gone\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_pool_delete,
};
