/* SPDX-License-Identifier: Apache-2.0 */
/* API calls that run on a worker thread and answer from the event loop. */
#include "api_job.h"
#include "api_errors.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void run(struct work *j, struct db *db)
{
    struct api_job *aj = (struct api_job *)j;
    db_set_actor(db, aj->r->actor);
    aj->work(aj, db);
}

static void done(struct work *j)
{
    struct api_job *aj = (struct api_job *)j;
    if (aj->reply || !aj->msg[0])
        api_reply_json(aj->r, aj->status, aj->reply);
    else
        api_reply_error(aj->r, aj->status, "%s", aj->msg);
    free(aj);
}

void api_job_submit(struct api_job *aj)
{
    aj->job.run = run;
    aj->job.done = done;
    workers_submit(aj->r->d->workers, &aj->job);
}

void api_job_fail_db(struct api_job *aj, int rc, const struct dp_err *err)
{
    aj->status = api_status_for_db(rc);
    snprintf(aj->msg, sizeof aj->msg, "%s",
             err && err->set ? err->msg : "the store failed; see the broker's log");
}

void api_job_fail(struct api_job *aj, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aj->status = status;
    vsnprintf(aj->msg, sizeof aj->msg, fmt, ap);
    va_end(ap);
}
