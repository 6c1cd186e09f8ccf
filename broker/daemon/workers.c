/* SPDX-License-Identifier: Apache-2.0 */
/* A fixed pool of worker threads with a FIFO queue; completions go back to the event loop. */
#include "workers.h"
#include "err.h"
#include "log.h"
#include "store/db.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

struct worker {
    struct workers *js;
    pthread_t tid;
    struct db *db;
};

struct workers {
    struct event_base *base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct work *head, *tail;
    int stopping;
    int n;
    struct worker *w;
};

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    struct work *j = arg;
    j->done(j);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct workers *js = w->js;
    for (;;) {
        pthread_mutex_lock(&js->mu);
        while (!js->head && !js->stopping)
            pthread_cond_wait(&js->cv, &js->mu);
        if (js->stopping) {
            pthread_mutex_unlock(&js->mu);
            return NULL;
        }
        struct work *j = js->head;
        js->head = j->next;
        if (!js->head)
            js->tail = NULL;
        pthread_mutex_unlock(&js->mu);

        j->run(j, w->db);
        /* event_base_once is safe from another thread on a thread-aware base. */
        struct timeval now = {0, 0};
        if (event_base_once(js->base, -1, EV_TIMEOUT, on_done, j, &now) != 0)
            log_error("cannot hand a finished API job back to the event loop; its client "
                      "gets no answer");
    }
}

struct workers *workers_start(struct event_base *base, const char *db_path, int n,
                              struct dp_err *err)
{
    struct workers *js = calloc(1, sizeof *js);
    struct worker *w = calloc((size_t)n, sizeof *w);
    if (!js || !w) {
        free(js);
        free(w);
        dp_err_set(err, "out of memory starting %d API workers", n);
        return NULL;
    }
    js->base = base;
    js->w = w;
    pthread_mutex_init(&js->mu, NULL);
    pthread_cond_init(&js->cv, NULL);
    for (int i = 0; i < n; i++) {
        w[i].js = js;
        if (db_open(db_path, &w[i].db, err) != DB_OK) {
            workers_stop(js);
            return NULL;
        }
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
            db_close(w[i].db);
            dp_err_set(err, "cannot start API worker thread %d; check the process limits", i);
            workers_stop(js);
            return NULL;
        }
        js->n = i + 1;
    }
    return js;
}

void workers_submit(struct workers *js, struct work *j)
{
    j->next = NULL;
    pthread_mutex_lock(&js->mu);
    if (js->tail)
        js->tail->next = j;
    else
        js->head = j;
    js->tail = j;
    pthread_cond_signal(&js->cv);
    pthread_mutex_unlock(&js->mu);
}

void workers_stop(struct workers *js)
{
    if (!js)
        return;
    pthread_mutex_lock(&js->mu);
    js->stopping = 1;
    pthread_cond_broadcast(&js->cv);
    pthread_mutex_unlock(&js->mu);
    for (int i = 0; i < js->n; i++) {
        pthread_join(js->w[i].tid, NULL);
        db_close(js->w[i].db);
    }
    pthread_mutex_destroy(&js->mu);
    pthread_cond_destroy(&js->cv);
    free(js->w);
    free(js);
}
