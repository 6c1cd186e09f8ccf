/* SPDX-License-Identifier: Apache-2.0 */
/* /events: the audit log, oldest first; ?since=ID follows it, ?limit=N bounds a page. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_audit.h"

#include <errno.h>
#include <stdlib.h>

/* Parses an optional non-negative query number; -1 if malformed. */
static long long qnum(const char *s, long long dflt)
{
    if (!s)
        return dflt;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno || end == s || *end || v < 0 ? -1 : v;
}

void api_events_list(struct api_req *r)
{
    long long since = qnum(api_query(r, "since"), 0), limit = qnum(api_query(r, "limit"), 100);
    if (since < 0 || limit < 1 || limit > 10000) {
        api_reply_error(r, 400, "since must be an event id (0 or more) and limit 1 to 10000");
        return;
    }
    struct db_audit_event *e = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int rc = db_audit_list(r->d->db, since, (size_t)limit, NULL, &e, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *detail = json_loads(e[i].detail, 0, NULL);
        json_array_append_new(
            items, json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)e[i].id, "ts",
                             (json_int_t)e[i].ts, "actor", e[i].actor, "action", e[i].action,
                             "object", e[i].object, "detail", detail ? detail : json_object()));
    }
    free(e);
    api_reply_items(r, items);
}
