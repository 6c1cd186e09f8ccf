/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-probe: one headless RDP login (or many: probe_load_main.c); see probe_cli.c for
 * usage and exit codes. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "probe_cli.h"
#include "probe_load.h"
#include "probe_png.h"
#include "probe_report.h"
#include "probe_secret.h"
#include "probe_session.h"

/* How long past --timeout we wait for FreeRDP to give the session back before we stop
 * waiting for it; the watchdog in probe_session.c should make this unnecessary. */
#define TEARDOWN_GRACE_S 5

struct run {
    struct probe_session_config cfg;
    struct probe_result res;
};

static void *run_session(void *arg)
{
    struct run *r = arg;
    probe_session_run(&r->cfg, &r->res);
    return NULL;
}

static void end_hold(int sig)
{
    (void)sig;
    probe_hold_stop = 1;
}

static void report(const struct probe_options *opts, const struct probe_result *res)
{
    if (opts->json)
        probe_report_json(stdout, res, res->status == PROBE_OK ? opts->png_path : NULL);
    else
        probe_report_human(res->status == PROBE_OK ? stdout : stderr, res,
                           res->status == PROBE_OK ? opts->png_path : NULL);
    fflush(stdout);
    fflush(stderr);
}

/* Runs the session on its own thread so that even a FreeRDP call that never returns cannot
 * hold the probe past its timeout. Returns 0, or -1 if the session is still stuck. */
static int run_with_guard(struct run *r)
{
    pthread_t t;
    struct timespec ts;

    if (pthread_create(&t, NULL, run_session, r) != 0) {
        run_session(r);
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    /* --logoff gets a fresh --timeout after the picture (and the hold). */
    unsigned budget = r->cfg.timeout_ms * (r->cfg.logoff ? 2u : 1u) + r->cfg.hold_ms;
    ts.tv_sec += (time_t)(budget / 1000 + TEARDOWN_GRACE_S);
    return pthread_timedjoin_np(t, NULL, &ts) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct probe_options opts;
    struct dp_err err = {0};
    struct run r;
    char *password;

    if (probe_cli_parse(argc, argv, &opts, &err) < 0) {
        fprintf(stderr, "deskpool-probe: %s\n", dp_err_msg(&err));
        return PROBE_USAGE;
    }
    if (opts.help) {
        probe_cli_usage(stdout);
        return PROBE_OK;
    }
    if (PROBE_LOAD_MODE(&opts))
        return probe_load_main(&opts);
    password = probe_secret_load(&opts, &err);
    if (!password) {
        fprintf(stderr, "deskpool-probe: %s\n", dp_err_msg(&err));
        return PROBE_USAGE;
    }

    probe_session_global_init(opts.verbose);
    memset(&r, 0, sizeof(r));
    r.cfg.host = opts.host;
    r.cfg.port = opts.port;
    r.cfg.user = opts.user;
    r.cfg.domain = opts.domain;
    r.cfg.password = password;
    r.cfg.sec = opts.sec;
    r.cfg.load_balance_info = opts.load_balance_info;
    r.cfg.width = opts.width;
    r.cfg.height = opts.height;
    r.cfg.timeout_ms = opts.timeout_ms;
    r.cfg.settle_ms = opts.settle_ms < 0 ? 0 : (unsigned)opts.settle_ms;
    r.cfg.type_text = opts.type_text;
    r.cfg.keep_framebuffer = opts.png_path != NULL;
    r.cfg.hold_ms = opts.hold_s * 1000u;
    r.cfg.logoff = opts.logoff;
    if (opts.hold_s) {
        /* A test ends the hold when it has seen what it waited for; that is no failure. */
        signal(SIGTERM, end_hold);
        signal(SIGINT, end_hold);
    }

    if (run_with_guard(&r) < 0) {
        /* The session thread is stuck inside FreeRDP and owns r: report from a copy-free
         * local result and leave without running any teardown that could block. */
        struct probe_result stuck;
        memset(&stuck, 0, sizeof(stuck));
        stuck.status = PROBE_NO_FRAME;
        stuck.connect_ms = stuck.first_frame_ms = stuck.typed_frame_ms = stuck.logoff_ms = -1;
        stuck.distinct_colours = -1;
        snprintf(stuck.message, sizeof(stuck.message),
                 "%s:%u: FreeRDP did not return within --timeout + %d s; giving up", opts.host,
                 opts.port, TEARDOWN_GRACE_S);
        report(&opts, &stuck);
        _exit(PROBE_NO_FRAME);
    }
    probe_secret_free(password);

    if (opts.png_path && r.res.pixels && r.res.status == PROBE_OK) {
        if (probe_png_write(opts.png_path, r.res.pixels, r.res.width, r.res.height, r.res.stride,
                            &err) < 0) {
            r.res.status = PROBE_ERROR;
            snprintf(r.res.message, sizeof(r.res.message), "%s", dp_err_msg(&err));
        }
    }
    report(&opts, &r.res);
    probe_result_free(&r.res);
    return r.res.status;
}
