/* SPDX-License-Identifier: Apache-2.0 */
/* The load mode's runner: worker threads take logins off a shared list (see probe_load.h). */
#include "probe_load.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "files.h"

/* How long past a login's timeout its worker waits for FreeRDP to give the session back
 * before it counts the login as stuck and moves on (as main.c does for one login). */
#define TEARDOWN_GRACE_S 5

struct load {
    const struct probe_session_config *base;
    struct probe_logins *l;
    pthread_mutex_t lock;
    size_t next;     /* under lock: the next login to start */
    unsigned active; /* under lock: logins running now */
    unsigned peak;   /* under lock: the most that ran at once */
    uint64_t t0;
};

/* One login on its own thread; heap-allocated so a stuck one can be left behind. */
struct guarded {
    struct probe_session_config cfg;
    struct probe_result res;
};

static void *run_guarded(void *arg)
{
    struct guarded *g = arg;
    probe_session_run(&g->cfg, &g->res);
    return NULL;
}

static void run_one(struct load *ld, struct probe_login *login)
{
    struct guarded *g = calloc(1, sizeof *g);
    pthread_t t;
    struct timespec ts;
    if (!g) {
        login->res.status = PROBE_ERROR;
        login->res.connect_ms = login->res.first_frame_ms = login->res.typed_frame_ms = -1;
        snprintf(login->res.message, sizeof login->res.message, "out of memory");
        return;
    }
    g->cfg = *ld->base;
    g->cfg.user = login->user;
    g->cfg.password = login->password;
    g->cfg.keep_framebuffer = 0;
    if (pthread_create(&t, NULL, run_guarded, g) != 0) {
        run_guarded(g);
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        /* --logoff gets a fresh --timeout after the picture. */
        ts.tv_sec +=
            (time_t)(g->cfg.timeout_ms * (g->cfg.logoff ? 2u : 1u) / 1000 + TEARDOWN_GRACE_S);
        if (pthread_timedjoin_np(t, NULL, &ts) != 0) {
            /* Stuck inside FreeRDP: it keeps g (and the password it points at stays alive in
             * login until the process ends); report without touching either. */
            pthread_detach(t);
            memset(&login->res, 0, sizeof login->res);
            login->res.status = PROBE_NO_FRAME;
            login->res.connect_ms = login->res.first_frame_ms = login->res.typed_frame_ms = -1;
            login->res.distinct_colours = -1;
            snprintf(login->res.message, sizeof login->res.message,
                     "FreeRDP did not return within --timeout + %d s; counted as no frame",
                     TEARDOWN_GRACE_S);
            login->password = NULL; /* still in use by the stuck thread: never freed */
            return;
        }
    }
    login->res = g->res;
    free(g);
}

static void *worker(void *arg)
{
    struct load *ld = arg;
    for (;;) {
        pthread_mutex_lock(&ld->lock);
        if (ld->next >= ld->l->n) {
            pthread_mutex_unlock(&ld->lock);
            return NULL;
        }
        struct probe_login *login = &ld->l->v[ld->next++];
        if (++ld->active > ld->peak)
            ld->peak = ld->active;
        pthread_mutex_unlock(&ld->lock);

        login->start_ms = (long)(dp_now_ms() - ld->t0);
        run_one(ld, login);

        pthread_mutex_lock(&ld->lock);
        ld->active--;
        pthread_mutex_unlock(&ld->lock);
    }
}

void probe_load_run(const struct probe_session_config *base, struct probe_logins *l,
                    unsigned concurrency, struct probe_load_summary *sum)
{
    struct load ld = {.base = base, .l = l};
    pthread_t *threads;
    unsigned n = concurrency < l->n ? concurrency : (unsigned)l->n, started = 0;

    pthread_mutex_init(&ld.lock, NULL);
    ld.t0 = dp_now_ms();
    threads = calloc(n ? n : 1, sizeof *threads);
    for (unsigned i = 0; threads && i < n; i++) {
        if (pthread_create(&threads[i], NULL, worker, &ld) != 0)
            break;
        started++;
    }
    if (started == 0) /* no threads at all: run them one by one here */
        worker(&ld);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pthread_mutex_destroy(&ld.lock);

    probe_load_summarize(l, sum);
    sum->concurrency = n;
    sum->peak = ld.peak;
    sum->wall_ms = dp_now_ms() - ld.t0;
}

void probe_load_summarize(const struct probe_logins *l, struct probe_load_summary *sum)
{
    long *ff = calloc(l->n ? l->n : 1, sizeof *ff), *cn = calloc(l->n ? l->n : 1, sizeof *cn);
    size_t nff = 0, ncn = 0;

    memset(sum, 0, sizeof *sum);
    for (size_t i = 0; i < l->n; i++) {
        const struct probe_result *r = &l->v[i].res;
        if (r->status == PROBE_OK) {
            sum->ok++;
            if (ff && r->first_frame_ms >= 0)
                ff[nff++] = r->first_frame_ms;
            if (cn && r->connect_ms >= 0)
                cn[ncn++] = r->connect_ms;
        } else
            sum->failed++;
        if ((unsigned)r->status < sizeof sum->by_status / sizeof sum->by_status[0])
            sum->by_status[r->status]++;
    }
    /* Percentiles over successful logins only: a failure has no time to first frame. */
    probe_stats_compute(ff, nff, &sum->first_frame);
    probe_stats_compute(cn, ncn, &sum->connect);
    free(ff);
    free(cn);
}

int probe_load_exit_status(const struct probe_load_summary *sum)
{
    int best = PROBE_OK;
    size_t most = 0;
    if (sum->failed == 0)
        return PROBE_OK;
    for (int s = 1; s < (int)(sizeof sum->by_status / sizeof sum->by_status[0]); s++) {
        if (sum->by_status[s] > most) {
            most = sum->by_status[s];
            best = s;
        }
    }
    return best;
}
