/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_WORKERS_H
#define DESKPOOL_BROKER_WORKERS_H

/*
 * Worker threads for the API's blocking work (a desktop request waits on a guest agent, a
 * login runs scrypt, a template import copies gigabytes): the event loop must never wait
 * on them. A job's run() executes on a worker with that worker's own store connection
 * (sqlite handles are per thread); its done() then runs on the event loop, where it may
 * send the HTTP reply. The loop's event_base must be thread-aware (evthread_use_pthreads()
 * before it was made).
 */
struct db;
struct dp_err;
struct event_base;
struct workers;

struct work {
    void (*run)(struct work *j, struct db *db); /* on a worker thread */
    void (*done)(struct work *j);               /* on the event loop; frees the job */
    struct work *next;                          /* the queue's */
};

/* Starts n workers, each with its own connection to the store at db_path. */
struct workers *workers_start(struct event_base *base, const char *db_path, int n,
                              struct dp_err *err);

/* Queues a job; returns at once. Jobs run in the order they were queued, n at a time. */
void workers_submit(struct workers *js, struct work *j);

/* Stops the workers after the jobs they are running (queued ones are dropped, without their
 * done()); call it after the event loop has ended. NULL is ignored. */
void workers_stop(struct workers *js);

#endif
