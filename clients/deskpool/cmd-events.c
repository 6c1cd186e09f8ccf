/* SPDX-License-Identifier: Apache-2.0 */
/* events [--limit N] [--since ID] [--follow]: the audit log, newest last. */
#include "cmds.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGE 500

/* The detail as one line: a string as is, an object as "key=value" pairs. */
static void event_detail(json_t *d, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (json_is_string(d)) {
        snprintf(buf, cap, "%s", json_string_value(d));
        return;
    }
    const char *key;
    json_t *v;
    size_t n = 0;
    json_object_foreach(d, key, v)
    {
        char one[512];
        render_value(v, R_TEXT, one, sizeof one);
        int w = snprintf(buf + n, cap - n, "%s%s=%s", n ? " " : "", key, one);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void print_event(struct cli_ctx *ctx, json_t *e)
{
    if (ctx->json) {
        char *t = json_dumps(e, JSON_COMPACT);
        if (t)
            fprintf(ctx->out, "%s\n", t);
        free(t);
        return;
    }
    char ts[64], id[32];
    render_value(json_object_get(e, "ts"), R_TIME, ts, sizeof ts);
    render_value(json_object_get(e, "id"), R_TEXT, id, sizeof id);
    const char *actor = json_string_value(json_object_get(e, "actor"));
    const char *action = json_string_value(json_object_get(e, "action"));
    const char *object = json_string_value(json_object_get(e, "object"));
    char detail[1024];
    event_detail(json_object_get(e, "detail"), detail, sizeof detail);
    fprintf(ctx->out, "%6s  %s  %-10s %-20s %s%s%s\n", id, ts, actor ? actor : "-",
            action ? action : "-", object ? object : "-", *detail ? ": " : "", detail);
}

/*
 * Fetches every event after *since in pages (the API lists oldest first, so the tail is
 * wherever paging stops); keeps the last keep of them in ring. Returns an exit status.
 */
static int fetch(struct cli_ctx *ctx, long long *since, json_t *ring, size_t keep)
{
    for (;;) {
        char path[96];
        snprintf(path, sizeof path, "/events?since=%lld&limit=%d", *since, PAGE);
        json_t *answer = NULL, *e;
        int rc = cli_api(ctx, "GET", path, NULL, &answer);
        if (rc != CLI_OK)
            return rc;
        size_t i, fresh = 0;
        json_array_foreach(json_object_get(answer, "items"), i, e)
        {
            long long id = (long long)json_integer_value(json_object_get(e, "id"));
            if (id <= *since) /* whether since is inclusive or not, show each once */
                continue;
            *since = id;
            fresh++;
            json_array_append(ring, e);
            if (keep && json_array_size(ring) > keep)
                json_array_remove(ring, 0);
        }
        json_decref(answer);
        if (fresh == 0)
            return CLI_OK;
    }
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int exec_events(struct cli_ctx *ctx, const struct cli_args *a)
{
    long limit = 20, since = 0, interval = 2;
    int has_since;
    if (cli_arg_int(ctx, a, "--limit", 1, 100000, &limit, NULL) != 0 ||
        cli_arg_int(ctx, a, "--since", 0, 1L << 50, &since, &has_since) != 0 ||
        cli_arg_int(ctx, a, "--interval", 1, 3600, &interval, NULL) != 0)
        return CLI_USAGE;
    long long last = since;
    json_t *ring = json_array(), *e;
    int rc = fetch(ctx, &last, ring, has_since ? 0 : (size_t)limit);
    if (rc == CLI_OK && ctx->json && !cli_arg(a, "--follow")) {
        json_t *answer = json_pack("{s:O}", "items", ring);
        cli_print_json(ctx, answer);
        json_decref(answer);
    } else if (rc == CLI_OK) {
        size_t i;
        if (json_array_size(ring) == 0 && !ctx->json && !cli_arg(a, "--follow"))
            fprintf(ctx->out, "no events%s\n", has_since ? " after that id" : "");
        json_array_foreach(ring, i, e) print_event(ctx, e);
    }
    json_decref(ring);
    if (rc != CLI_OK || !cli_arg(a, "--follow"))
        return rc;
    /* --follow: poll until interrupted; Ctrl-C is the normal way out (exit 0). */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fflush(ctx->out);
    while (!stop) {
        for (long t = 0; t < interval * 10 && !stop; t++)
            usleep(100 * 1000);
        if (stop)
            break;
        json_t *batch = json_array();
        rc = fetch(ctx, &last, batch, 0);
        size_t i;
        json_array_foreach(batch, i, e) print_event(ctx, e);
        json_decref(batch);
        fflush(ctx->out);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

static const struct cli_opt opts[] = {
    {"--limit", 1}, {"--since", 1}, {"--follow", 0}, {"--interval", 1}, {NULL, 0}};

const struct cli_cmd cmd_events = {
    .name = "events",
    .usage = "[--limit N] [--since ID] [--follow [--interval S]]",
    .help = "the audit log: who did what to which object, newest last",
    .more = "  --limit N     the last N events (default 20)\n"
            "  --since ID    every event after event ID instead\n"
            "  --follow      keep printing new events until Ctrl-C (--json: one object a line)\n"
            "  --interval S  how often --follow asks (default 2 s)\n",
    .opts = opts,
    .exec = exec_events,
};
