/* SPDX-License-Identifier: Apache-2.0 */
/* desktop request USER [--pool P]: what the gateway does for a user, by hand: assign (or
 * reconnect) a desktop and issue a one-time credential. The credential is not printed unless
 * asked for: it is a live password into someone's desktop. */
#include "cmds.h"
#include "cli_progress.h"

#include "files.h"

#include <unistd.h>

#define WAIT_DEFAULT_S 180

static void print_ready(struct cli_ctx *ctx, const char *user, json_t *d, int show)
{
    if (!show)
        json_object_del(d, "password");
    if (ctx->json) {
        cli_print_json(ctx, d);
        return;
    }
    const char *vm = json_string_value(json_object_get(d, "vm"));
    fprintf(ctx->out, "%s: desktop %s at %s:%lld (session %lld)\n", user, vm ? vm : "?",
            json_string_value(json_object_get(d, "host")) ?: "?",
            (long long)json_integer_value(json_object_get(d, "port")),
            (long long)json_integer_value(json_object_get(d, "session_id")));
    if (show)
        fprintf(ctx->out, "one-time credential: user %s, password %s\n",
                json_string_value(json_object_get(d, "username")) ?: "?",
                json_string_value(json_object_get(d, "password")) ?: "?");
    else
        fprintf(ctx->out,
                "a one-time credential for %s was issued (not shown; --show-credentials "
                "prints it)\n",
                vm ? vm : "the VM");
}

static int exec_desktop_request(struct cli_ctx *ctx, const struct cli_args *a)
{
    long wait_s = WAIT_DEFAULT_S;
    if (cli_arg_int(ctx, a, "--wait-timeout", 1, 3600, &wait_s, NULL) != 0)
        return CLI_USAGE;
    json_t *body = json_pack("{s:s}", "user", a->argv[0]);
    if (cli_arg(a, "--pool"))
        json_object_set_new(body, "pool", json_string(cli_arg(a, "--pool")));
    if (cli_arg(a, "--client-addr"))
        json_object_set_new(body, "client_addr", json_string(cli_arg(a, "--client-addr")));
    int show = cli_arg(a, "--show-credentials") != NULL;
    struct cli_progress p;
    progress_start(&p, ctx->out, ctx->interactive && !ctx->json, "asking for a desktop");
    uint64_t deadline = dp_now_ms() + (uint64_t)wait_s * 1000;
    int rc;
    for (;;) {
        json_t *d = NULL;
        int status = 0;
        rc = cli_api_ex(ctx, "POST", "/desktops/request", body, ctx->timeout_ms, progress_tick, &p,
                        &d, &status);
        if (rc != CLI_OK) {
            progress_end(&p);
            break;
        }
        if (status == 200) {
            progress_end(&p);
            print_ready(ctx, a->argv[0], d, show);
            json_decref(d);
            break;
        }
        /* 202: a VM is starting for this user; ask again when deskpoold says. */
        const char *vm = json_string_value(json_object_get(d, "vm"));
        long long retry = json_integer_value(json_object_get(d, "retry_after_s"));
        if (cli_arg(a, "--no-wait") || dp_now_ms() >= deadline) {
            progress_end(&p);
            if (ctx->json)
                cli_print_json(ctx, d);
            else
                fprintf(ctx->out, "%s: desktop %s is starting; ask again in %lld s\n", a->argv[0],
                        vm ? vm : "?", retry);
            json_decref(d);
            rc = cli_arg(a, "--no-wait") ? CLI_OK : CLI_API_ERROR;
            if (rc != CLI_OK)
                fprintf(ctx->err,
                        "deskpool: no desktop ready for %s within %ld s; the pool keeps "
                        "starting one (see: deskpool pool list)\n",
                        a->argv[0], wait_s);
            break;
        }
        progress_set(&p, "desktop %s is starting for %s", vm ? vm : "?", a->argv[0]);
        json_decref(d);
        retry = retry < 1 ? 1 : retry > 10 ? 10 : retry;
        for (long long t = 0; t < retry * 10; t++) {
            usleep(100 * 1000);
            progress_tick(&p);
        }
    }
    json_decref(body);
    return rc;
}

static const struct cli_opt opts[] = {
    {"--pool", 1},         {"--client-addr", 1},      {"--no-wait", 0},
    {"--wait-timeout", 1}, {"--show-credentials", 0}, {NULL, 0}};

const struct cli_cmd cmd_desktop_request = {
    .name = "desktop request",
    .usage = "USER [--pool P] [--no-wait] [--show-credentials]",
    .help = "assign a desktop to a user (or find their session) and issue a one-time credential",
    .more = "  --pool P            the pool (default: the user's default or only pool)\n"
            "  --no-wait           if no VM is ready, say which one is starting and return\n"
            "  --wait-timeout S    otherwise wait up to S seconds (default 180)\n"
            "  --show-credentials  print the one-time user name and password (they open the\n"
            "                      desktop: keep them off shared screens and logs)\n"
            "  --client-addr ADDR  recorded with the session\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_desktop_request,
};
