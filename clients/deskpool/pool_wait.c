/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for a pool to reach its spare target (pool create --wait). */
#include "cmds.h"
#include "cli_progress.h"

#include "files.h"

#include <string.h>
#include <unistd.h>

#define POLL_MS 1000

void pool_counts_text(json_t *counts, char *buf, size_t cap)
{
    const char *key;
    json_t *v;
    size_t n = 0;
    buf[0] = '\0';
    json_object_foreach(counts, key, v)
    {
        /* spare_* and total are derived counts, not states. */
        if (strncmp(key, "spare_", 6) == 0 || strcmp(key, "total") == 0 || !json_is_integer(v) ||
            json_integer_value(v) == 0)
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s %lld", n ? ", " : "", key,
                         (long long)json_integer_value(v));
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, cap, "no VMs yet");
}

int pool_wait_spare(struct cli_ctx *ctx, const char *pool, int timeout_s, json_t **last)
{
    char path[512];
    if (cli_path(path, sizeof path, "/pools/%s", pool) != 0)
        return cli_usage(ctx, "the pool name is too long");
    struct cli_progress p;
    progress_start(&p, ctx->out, ctx->interactive && !ctx->json, "waiting for the pool");
    uint64_t deadline = dp_now_ms() + (uint64_t)timeout_s * 1000;
    json_t *pl = NULL;
    int rc;
    if (last)
        *last = NULL;
    for (;;) {
        json_decref(pl);
        pl = NULL;
        rc = cli_api(ctx, "GET", path, NULL, &pl);
        if (rc != CLI_OK)
            break;
        json_t *counts = json_object_get(pl, "counts");
        long long want = json_integer_value(json_object_get(pl, "spare"));
        long long ready = json_integer_value(json_object_get(counts, "spare_ready"));
        char states[256];
        pool_counts_text(counts, states, sizeof states);
        if (json_is_true(json_object_get(pl, "paused"))) {
            progress_end(&p);
            const char *why = json_string_value(json_object_get(pl, "paused_reason"));
            fprintf(ctx->err,
                    "deskpool: pool %s is paused: %s\n(after fixing the cause: deskpool pool "
                    "resume %s)\n",
                    pool, why && *why ? why : "no reason given", pool);
            rc = CLI_API_ERROR;
            break;
        }
        if (ready >= want)
            break;
        if (dp_now_ms() >= deadline) {
            progress_end(&p);
            fprintf(ctx->err,
                    "deskpool: pool %s has %lld of %lld spare VMs ready after %d s (%s); it "
                    "keeps working: watch it with deskpool pool show %s\n",
                    pool, ready, want, timeout_s, states, pool);
            rc = CLI_API_ERROR;
            break;
        }
        progress_set(&p, "pool %s: %lld/%lld spare ready (%s)", pool, ready, want, states);
        /* Sleep in slices so the spinner moves. */
        for (int t = 0; t < POLL_MS; t += 100) {
            usleep(100 * 1000);
            progress_tick(&p);
        }
    }
    progress_end(&p);
    if (last && rc == CLI_OK)
        *last = pl;
    else
        json_decref(pl);
    return rc;
}
