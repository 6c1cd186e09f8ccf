/* SPDX-License-Identifier: Apache-2.0 */
/* Connecting: a routing token from the broker (waiting while the desktop starts), then
 * xfreerdp through the gateway, or a .rdp file. */
#include "conn_ctx.h"

#include "cli_progress.h"
#include "files.h"
#include "launch.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Sleeps ms, ticking the progress line. */
static void nap(struct cli_progress *p, unsigned ms)
{
    for (unsigned slept = 0; slept < ms; slept += 100) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        progress_tick(p);
    }
}

/* POST /desktops/connect until it answers 200 or --wait runs out. *ans gets the 200 answer. */
static int get_token(struct conn_ctx *c, json_t **ans)
{
    const struct conn_options *o = c->o;
    json_t *body = o->target ? json_pack("{s:s}", "pool", o->target) : json_object();
    struct cli_progress p;
    uint64_t deadline = dp_now_ms() + (uint64_t)o->wait_s * 1000;
    int rc, status;
    progress_start(&p, stderr, isatty(STDERR_FILENO) && !o->json, "asking for your desktop");
    for (;;) {
        rc = conn_call(c, "POST", "/desktops/connect", body, ans, &status);
        if (rc != CONN_OK || status != 202)
            break;
        json_int_t retry = json_integer_value(json_object_get(*ans, "retry_after_s"));
        const char *vm = str(*ans, "vm");
        char what[200];
        snprintf(what, sizeof what, "your desktop%s%s is starting", vm ? " " : "", vm ? vm : "");
        json_decref(*ans);
        *ans = NULL;
        retry = retry < 1 ? 1 : retry > 10 ? 10 : retry;
        if (dp_now_ms() + (uint64_t)retry * 1000 > deadline) {
            progress_end(&p);
            rc = conn_fail(c, CONN_TIMEOUT,
                           "%s and was not ready within %d s; try again in a minute, or wait "
                           "longer with --wait",
                           what, o->wait_s);
            break;
        }
        if (!p.f && !o->json) /* not a terminal: one line per wait, for logs */
            fprintf(stderr, "deskpool-connect: %s; asking again in %d s\n", what, (int)retry);
        progress_set(&p, "%s", what);
        nap(&p, (unsigned)retry * 1000);
    }
    progress_end(&p);
    json_decref(body);
    return rc;
}

int conn_connect(struct conn_ctx *c)
{
    const struct conn_options *o = c->o;
    json_t *ans = NULL;
    char client[4096], msg[600];
    if (!o->rdp_file && xf_find(o->client, client, sizeof client) != 0)
        return conn_fail(c, CONN_NO_CLIENT,
                         "RDP client \"%s\" not found or not executable; install xfreerdp "
                         "(apt-get install freerdp2-x11), give --client PATH, or use --rdp-file",
                         o->client);
    int rc = get_token(c, &ans);
    if (rc != CONN_OK)
        return rc;
    struct conn_target t = {str(ans, "gateway"), str(ans, "token"), c->user, str(ans, "vm")};
    if (!t.gateway || !t.token) {
        json_decref(ans);
        return conn_fail(c, CONN_FAILED, "the broker's connect answer has no gateway or token");
    }
    if (o->rdp_file) {
        if (rdp_file_write(o->rdp_file, &t, msg, sizeof msg) != 0)
            rc = conn_fail(c, CONN_FAILED, "%s: %s", o->rdp_file, msg);
        else if (o->json) {
            json_t *j = json_pack("{s:s, s:s, s:s?, s:s, s:O?}", "result", "ok", "rdp_file",
                                  o->rdp_file, "vm", t.vm, "gateway", t.gateway, "expires",
                                  json_object_get(ans, "expires"));
            conn_print_json(c, j);
            json_decref(j);
        } else
            fprintf(c->out,
                    "wrote %s for desktop %s through %s; open it within a minute (the token in "
                    "it works once)\n",
                    o->rdp_file, t.vm ? t.vm : "?", t.gateway);
        json_decref(ans);
        return rc;
    }
    char *argv[XF_MAX_ARGS];
    if (xf_argv(client, &t, o->client_args, o->nclient_args, argv) < 0) {
        json_decref(ans);
        return conn_fail(c, CONN_FAILED,
                         "the broker's connect answer cannot go to xfreerdp "
                         "(a line break in the token?), or too many options");
    }
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s?, s:s, s:s}", "result", "ok", "vm", t.vm, "gateway",
                              t.gateway, "client", client);
        conn_print_json(c, j);
        json_decref(j);
    } else
        fprintf(stderr, "deskpool-connect: connecting to desktop %s through %s\n",
                t.vm ? t.vm : "?", t.gateway);
    json_decref(ans);
    /* The session token is no longer needed; the routing token is in argv, spent on use. */
    conn_logout(c);
    xf_exec(client, argv, c->password, msg, sizeof msg);
    xf_argv_free(argv);
    return conn_fail(c, CONN_NO_CLIENT, "%s", msg);
}
