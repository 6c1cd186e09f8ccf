/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker queue: slow hypervisor work (define, start + wait ready, stop, refresh,
 * destroy, and asking a guest about its sessions) runs here, off the tick thread and off
 * the callers of the API. FIFO, except that a job whose VM already has a job running waits
 * for it: one VM is only ever driven by one worker, so its steps never interleave. A job is
 * only a hint ("look at this VM"): the VM's state in the store says what to do, so a lost
 * queue (broker killed) is rebuilt by reconciliation from the states alone. The guest jobs
 * are the exception (pool_internal.h says what losing them costs).
 */
#include "pool_internal.h"

#include "err.h"
#include "files.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int jobs_init(struct pool_mgr *m, int nworkers, struct dp_err *err)
{
    struct job_queue *q = &m->jobs;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    pthread_cond_init(&q->idle_cv, NULL);
    q->running = calloc((size_t)nworkers, sizeof *q->running);
    q->running_kind = calloc((size_t)nworkers, sizeof *q->running_kind);
    m->workers = calloc((size_t)nworkers, sizeof *m->workers);
    if (!q->running || !q->running_kind || !m->workers) {
        dp_err_set(err, "pool manager: out of memory");
        return -1;
    }
    return 0;
}

/* Caller holds q->mu. kind < 0: a job of any kind. */
static int running_kind_on(const struct job_queue *q, int64_t vm_id, int kind)
{
    for (int i = 0; i < q->nworkers; i++)
        if (q->running[i] == vm_id && (kind < 0 || (int)q->running_kind[i] == kind))
            return 1;
    for (int i = 0; i < JOBS_INLINE_MAX; i++)
        if (q->inline_vm[i] == vm_id && (kind < 0 || (int)q->inline_kind[i] == kind))
            return 1;
    return 0;
}

/* Caller holds q->mu. */
static int running_on(const struct job_queue *q, int64_t vm_id)
{
    return running_kind_on(q, vm_id, -1);
}

/* Caller holds q->mu. Waits up to 20 ms for a job to finish. */
static void wait_a_little(struct job_queue *q)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&q->idle_cv, &q->mu, &until);
}

static void push(struct pool_mgr *m, enum job_kind kind, int64_t vm_id, int64_t session_id,
                 const char *account)
{
    struct job_queue *q = &m->jobs;
    pthread_mutex_lock(&q->mu);
    for (struct job *j = q->head; j; j = j->next) {
        if (j->vm_id == vm_id && j->kind == kind) {
            if (session_id) { /* the newer session is the one to ask about */
                j->session_id = session_id;
                snprintf(j->account, sizeof j->account, "%s", account ? account : "");
            }
            pthread_mutex_unlock(&q->mu);
            return;
        }
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        /* Nothing lost: the VM's state still says what to do, and reconciliation will
         * queue this job again. */
        pthread_mutex_unlock(&q->mu);
        log_warn("pool manager: out of memory queueing a job for VM %lld", (long long)vm_id);
        return;
    }
    j->kind = kind;
    j->vm_id = vm_id;
    j->session_id = session_id;
    snprintf(j->account, sizeof j->account, "%s", account ? account : "");
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void jobs_push(struct pool_mgr *m, enum job_kind kind, int64_t vm_id)
{
    push(m, kind, vm_id, 0, NULL);
}

void jobs_push_guest(struct pool_mgr *m, enum job_kind kind, int64_t vm_id, int64_t session_id,
                     const char *account)
{
    push(m, kind, vm_id, session_id, account);
}

int jobs_busy(struct pool_mgr *m, int64_t vm_id)
{
    struct job_queue *q = &m->jobs;
    pthread_mutex_lock(&q->mu);
    int busy = running_on(q, vm_id);
    for (struct job *j = q->head; j && !busy; j = j->next)
        busy = j->vm_id == vm_id;
    pthread_mutex_unlock(&q->mu);
    return busy;
}

/* Caller holds q->mu. */
static int idle_locked(const struct job_queue *q)
{
    if (q->head)
        return 0;
    for (int i = 0; i < q->nworkers; i++)
        if (q->running[i])
            return 0;
    for (int i = 0; i < JOBS_INLINE_MAX; i++)
        if (q->inline_vm[i])
            return 0;
    return 1;
}

int jobs_idle(struct pool_mgr *m)
{
    pthread_mutex_lock(&m->jobs.mu);
    int idle = idle_locked(&m->jobs);
    pthread_mutex_unlock(&m->jobs.mu);
    return idle;
}

int jobs_wait_idle(struct pool_mgr *m, uint64_t deadline_ms)
{
    struct job_queue *q = &m->jobs;
    pthread_mutex_lock(&q->mu);
    while (!idle_locked(q) && !q->stopping && dp_now_ms() < deadline_ms)
        wait_a_little(q);
    int idle = idle_locked(q);
    pthread_mutex_unlock(&q->mu);
    return idle ? 0 : -1;
}

/* Takes the first job whose VM no other worker is driving; NULL when stopping. */
static struct job *take(struct job_queue *q, int self)
{
    for (;;) {
        if (q->stopping)
            return NULL;
        struct job *prev = NULL;
        for (struct job *j = q->head; j; prev = j, j = j->next) {
            if (running_on(q, j->vm_id))
                continue;
            if (prev)
                prev->next = j->next;
            else
                q->head = j->next;
            if (q->tail == j)
                q->tail = prev;
            q->running[self] = j->vm_id;
            q->running_kind[self] = j->kind;
            return j;
        }
        pthread_cond_wait(&q->cv, &q->mu);
    }
}

struct worker_arg {
    struct pool_mgr *m;
    int self;
};

static void run(struct pool_mgr *m, struct db *db, const struct job *j)
{
    pm_db_clock(m, db);
    switch (j->kind) {
    case JOB_PROVISION:
        job_provision(m, db, j->vm_id);
        break;
    case JOB_START:
        job_start(m, db, j->vm_id);
        break;
    case JOB_STOP:
        job_stop(m, db, j->vm_id);
        break;
    case JOB_REFRESH:
        job_refresh(m, db, j->vm_id);
        break;
    case JOB_DESTROY:
        job_destroy(m, db, j->vm_id);
        break;
    case JOB_GUEST_CHECK:
        job_guest_check(m, db, j);
        break;
    case JOB_GUEST_LOGOFF:
        job_guest_logoff(m, db, j);
        break;
    }
}

int jobs_run_now(struct pool_mgr *m, struct db *db, enum job_kind kind, int64_t vm_id,
                 uint64_t deadline_ms)
{
    struct job_queue *q = &m->jobs;
    int did = 0;
    pthread_mutex_lock(&q->mu);
    while (!q->stopping && dp_now_ms() < deadline_ms) {
        if (running_kind_on(q, vm_id, (int)kind)) {
            did = 1; /* a worker has it: its outcome is what the caller waits for */
            wait_a_little(q);
            continue;
        }
        struct job *j = q->head, *prev = NULL;
        while (j && !(j->vm_id == vm_id && j->kind == kind)) {
            prev = j;
            j = j->next;
        }
        if (!j)
            break; /* none queued (any more) */
        int slot = 0;
        while (slot < JOBS_INLINE_MAX && q->inline_vm[slot])
            slot++;
        if (running_on(q, vm_id) || slot == JOBS_INLINE_MAX) {
            wait_a_little(q); /* one VM, one job at a time */
            continue;
        }
        if (prev)
            prev->next = j->next;
        else
            q->head = j->next;
        if (q->tail == j)
            q->tail = prev;
        q->inline_vm[slot] = vm_id;
        q->inline_kind[slot] = kind;
        pthread_mutex_unlock(&q->mu);
        run(m, db, j);
        free(j);
        pthread_mutex_lock(&q->mu);
        q->inline_vm[slot] = 0;
        pthread_cond_broadcast(&q->cv);
        pthread_cond_broadcast(&q->idle_cv);
        did = 1;
        break;
    }
    pthread_mutex_unlock(&q->mu);
    return did;
}

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct pool_mgr *m = wa->m;
    int self = wa->self;
    free(wa);
    struct job_queue *q = &m->jobs;
    struct dp_err err = {0};
    struct db *db = pm_db_own(m, &err);
    if (!db)
        log_error("pool manager worker %d: %s; its jobs wait for the others", self,
                  dp_err_msg(&err));
    pthread_mutex_lock(&q->mu);
    struct job *j;
    while (db && (j = take(q, self))) {
        pthread_mutex_unlock(&q->mu);
        run(m, db, j);
        free(j);
        pthread_mutex_lock(&q->mu);
        q->running[self] = 0;
        /* A job of the same VM may have waited for this one. */
        pthread_cond_broadcast(&q->cv);
        pthread_cond_broadcast(&q->idle_cv);
    }
    pthread_mutex_unlock(&q->mu);
    pm_db_disown(m, db);
    return NULL;
}

int jobs_start_workers(struct pool_mgr *m, struct dp_err *err)
{
    for (int i = 0; i < m->cfg.workers; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        if (!wa) {
            dp_err_set(err, "pool manager: out of memory");
            return -1;
        }
        wa->m = m;
        wa->self = i;
        int e = pthread_create(&m->workers[i], NULL, worker_main, wa);
        if (e != 0) {
            free(wa);
            errno = e;
            dp_err_errno(err, "pool manager: cannot start worker thread %d", i);
            return -1;
        }
        pthread_mutex_lock(&m->jobs.mu);
        m->jobs.nworkers = i + 1;
        pthread_mutex_unlock(&m->jobs.mu);
    }
    return 0;
}

void jobs_stop(struct pool_mgr *m)
{
    struct job_queue *q = &m->jobs;
    if (!q->running)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    int n = q->nworkers;
    pthread_cond_broadcast(&q->cv);
    pthread_cond_broadcast(&q->idle_cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < n; i++)
        pthread_join(m->workers[i], NULL);
    while (q->head) {
        struct job *j = q->head;
        q->head = j->next;
        free(j);
    }
    free(q->running);
    free(q->running_kind);
    free(m->workers);
    q->running = NULL;
    pthread_cond_destroy(&q->cv);
    pthread_cond_destroy(&q->idle_cv);
    pthread_mutex_destroy(&q->mu);
}
