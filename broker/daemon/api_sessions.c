/* SPDX-License-Identifier: Apache-2.0 */
/* /sessions: users' sessions on desktops; an admin can log one off or disconnect it. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "pool_mgr.h"
#include "store/db.h"
#include "store/db_pools.h"
#include "store/db_sessions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *session_json(const struct db_session *s)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "id", (json_int_t)s->id,
                     "user", s->user, "vm", s->vm, "pool", s->pool, "state",
                     db_session_state_name(s->state), "started", (json_int_t)s->started,
                     "last_seen", (json_int_t)s->last_seen, "disconnected_at",
                     (json_int_t)s->disconnected_at, "ended_at", (json_int_t)s->ended_at,
                     "bytes_in", (json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out,
                     "client_addr", s->client_addr);
}

void api_sessions_list(struct api_req *r)
{
    struct dp_err err = {0};
    const char *pool = api_query(r, "pool"), *live = api_query(r, "live");
    struct db_pool p = {0};
    int rc = pool ? db_pool_get(r->d->db, pool, &p, &err) : DB_OK;
    struct db_session *s = NULL;
    size_t n = 0;
    if (rc == DB_OK)
        rc = db_session_list(r->d->db, p.id, live && strcmp(live, "1") == 0, &s, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, session_json(&s[i]));
    free(s);
    api_reply_items(r, items);
}

static void event(struct api_req *r, enum pool_session_event ev, const char *action)
{
    if (api_body_fields(r, NULL, 0) != 0)
        return;
    char *end;
    errno = 0;
    long long id = strtoll(r->caps[0], &end, 10);
    struct db_session s;
    struct dp_err err = {0};
    int rc = DB_ENOTFOUND;
    if (errno || *end || id <= 0)
        dp_err_set(&err,
                   "no session \"%s\"; ids are numbers: list live ones with GET "
                   "/api/v1/sessions?live=1",
                   r->caps[0]);
    else
        rc = db_session_get(r->d->db, id, &s, &err);
    if (rc == DB_OK && s.state == DB_SESSION_ENDED) {
        dp_err_set(&err, "session %lld (user \"%s\") has already ended", id, s.user);
        rc = DB_ECONFLICT;
    }
    if (rc == DB_OK)
        rc = pool_mgr_session_event(r->d->pm, id, ev, s.bytes_in, s.bytes_out, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    char obj[64];
    snprintf(obj, sizeof obj, "session:%lld", id);
    const char *kv[] = {"user", s.user, "vm", s.vm};
    api_audit(r, action, obj, kv, 2);
    api_reply_json(r, 202, json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", action));
}

void api_sessions_logoff(struct api_req *r)
{
    event(r, POOL_SESSION_LOGOFF, "session.logoff_requested");
}

void api_sessions_disconnect(struct api_req *r)
{
    event(r, POOL_SESSION_DISCONNECTED, "session.disconnect_requested");
}
