/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_API_JOB_H
#define DESKPOOL_BROKER_API_JOB_H

/*
 * An API call whose work blocks (workers.h): work() runs on a worker with that worker's store
 * connection (its actor set to the caller's) and leaves a status and a body or an error
 * message; the reply is then sent from the event loop. Handlers embed struct api_job first
 * in their own struct, allocate it with calloc and call api_job_submit.
 */
#include "api.h"
#include "workers.h"

struct api_job {
    struct work job;
    struct api_req *r;
    void (*work)(struct api_job *aj, struct db *db);
    int status;    /* the reply's status */
    json_t *reply; /* the reply's body, or NULL (then msg, if set, is sent as an error) */
    char msg[1024];
};

/* Queues aj (and answers r when it is done); aj is freed after the reply. */
void api_job_submit(struct api_job *aj);

/* Sets the job's answer to the error of a failed store or pool manager call. */
void api_job_fail_db(struct api_job *aj, int rc, const struct dp_err *err);

/* Sets the job's answer to an error with this status. */
void api_job_fail(struct api_job *aj, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
