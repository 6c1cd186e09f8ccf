/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session bookkeeping for the broker: "connected" at relay start, "disconnected" at the end,
 * with byte counts; the broker starts the pool's disconnect timeout from there.
 *
 * An end the broker did not acknowledge (it was down, or the gateway was killed before it
 * could tell) is not forgotten: it stays in the session journal (session_journal.h) and in
 * a list here, and is sent again every RETRY_S seconds, and by the next gateway started on
 * the same listen address. A user who reconnects to the same session meanwhile makes the
 * pending end moot: it is dropped, so it can never mark a live session disconnected.
 */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker_client.h"
#include "err.h"
#include "log.h"
#include "session_journal.h"

#define RETRY_S 5

struct pending_end {
    struct pending_end *next;
    struct gw_sessions *owner;
    char id[128];
    int64_t bytes_in, bytes_out;
    struct gw_broker_req *req; /* in flight, or NULL while waiting for the retry timer */
    int first_round;           /* left by a previous gateway, reported before listening */
    int failures;              /* answers that were no answer (logged the first time only) */
};

struct gw_sessions {
    struct gw_ctx *ctx;
    struct gw_journal *journal;
    struct pending_end *ends;
    struct event *retry;
    int first_round;
    void (*ready)(struct gw_ctx *ctx);
};

static void post_end(struct pending_end *e);

struct gw_sessions *gw_sessions_new(struct gw_ctx *ctx, struct gw_journal *journal)
{
    struct gw_sessions *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ctx = ctx;
    s->journal = journal;
    return s;
}

void gw_sessions_free(struct gw_sessions *s)
{
    if (!s)
        return;
    for (struct pending_end *e = s->ends, *n; e; e = n) {
        n = e->next;
        gw_broker_cancel(e->req);
        free(e);
    }
    if (s->retry)
        event_free(s->retry);
    gw_journal_close(s->journal);
    free(s);
}

static void unlink_end(struct gw_sessions *s, struct pending_end *e)
{
    for (struct pending_end **pp = &s->ends; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    gw_broker_cancel(e->req);
    free(e);
}

/* Whether a connection of this process relays session id now. */
static int relayed_here(struct gw_ctx *ctx, const char *id, const struct gw_conn *except)
{
    for (struct gw_conn *c = ctx->conns; c; c = c->next)
        if (c != except && !c->closing && c->session_reported && !strcmp(c->session_id, id))
            return 1;
    return 0;
}

static void first_round_done(struct gw_sessions *s, struct pending_end *e)
{
    if (!e->first_round)
        return;
    e->first_round = 0;
    if (--s->first_round == 0 && s->ready) {
        void (*ready)(struct gw_ctx *) = s->ready;
        s->ready = NULL;
        ready(s->ctx);
    }
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct gw_sessions *s = arg;
    for (struct pending_end *e = s->ends; e; e = e->next)
        if (!e->req)
            post_end(e);
}

static void arm_retry(struct gw_sessions *s)
{
    if (!s->retry)
        s->retry = evtimer_new(s->ctx->base, on_retry, s);
    struct timeval tv = {RETRY_S, 0};
    if (s->retry && !evtimer_pending(s->retry, NULL))
        evtimer_add(s->retry, &tv);
}

static void on_end_answer(void *arg, int status, json_t *body, const char *why)
{
    struct pending_end *e = arg;
    struct gw_sessions *s = e->owner;
    e->req = NULL;
    if (status == 0 || status >= 500) {
        /* The broker did not take it: keep it (and its journal file) and try again. */
        log_warn("session %s: the broker did not record its end (%s); retrying every %d s", e->id,
                 status ? "server error"
                 : why  ? why
                        : "no answer",
                 RETRY_S);
        first_round_done(s, e);
        arm_retry(s);
        return;
    }
    if (status >= 300) {
        /* 404/409: the session is gone or ended already; anything else will not get better
         * by asking again. Either way nothing is left to tell. */
        json_t *err = body ? json_object_get(body, "error") : NULL;
        const char *m = err ? json_string_value(json_object_get(err, "message")) : NULL;
        log_info("session %s: end not recorded by the broker (%d: %s)", e->id, status,
                 m ? m : "no message");
    } else if (e->first_round) {
        log_info("session %s: recorded as disconnected (it was relayed by a gateway that "
                 "stopped without saying so)",
                 e->id);
    }
    if (!relayed_here(s->ctx, e->id, NULL))
        gw_journal_remove(s->journal, e->id);
    first_round_done(s, e);
    unlink_end(s, e);
}

static void post_end(struct pending_end *e)
{
    char path[200];
    snprintf(path, sizeof path, "/gateway/sessions/%s/event", e->id);
    json_t *b = json_pack("{s:s, s:I, s:I}", "event", "disconnected", "bytes_in",
                          (json_int_t)e->bytes_in, "bytes_out", (json_int_t)e->bytes_out);
    e->req = b ? gw_broker_post(e->owner->ctx->broker, path, b, on_end_answer, e) : NULL;
    if (!e->req) {
        first_round_done(e->owner, e);
        arm_retry(e->owner);
    }
}

static struct pending_end *add_end(struct gw_sessions *s, const char *id, int64_t in, int64_t out)
{
    struct pending_end *e = calloc(1, sizeof *e);
    if (!e) {
        log_error("session %s: out of memory; its end is not reported", id);
        return NULL;
    }
    e->owner = s;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->bytes_in = in;
    e->bytes_out = out;
    e->next = s->ends;
    s->ends = e;
    return e;
}

void gw_sessions_recover(struct gw_sessions *s, void (*ready)(struct gw_ctx *ctx))
{
    char **ids = NULL;
    struct dp_err err = {0};
    int n = gw_journal_list(s->journal, &ids, &err);
    if (n < 0)
        log_error("%s; sessions of a previous gateway stay connected in the broker until "
                  "their pool's timeouts end them",
                  dp_err_msg(&err));
    if (n > 0)
        log_info("%d session(s) of a previous gateway on this address were not reported "
                 "ended (%s); reporting them disconnected before accepting clients",
                 n, gw_journal_dir(s->journal));
    s->ready = ready;
    s->first_round = 1; /* held until every entry is posted */
    for (int i = 0; i < n; i++) {
        struct pending_end *e = add_end(s, ids[i], 0, 0);
        if (e) {
            e->first_round = 1;
            s->first_round++;
            post_end(e);
        }
    }
    gw_journal_free_ids(ids, n > 0 ? n : 0);
    struct pending_end hold = {.first_round = 1};
    first_round_done(s, &hold);
}

int gw_sessions_in_flight(const struct gw_sessions *s)
{
    int n = 0;
    for (const struct pending_end *e = s->ends; e; e = e->next)
        n += e->req != NULL;
    return n;
}

void gw_session_report(struct gw_conn *c, const char *event)
{
    struct gw_sessions *s = c->ctx->sessions;
    if (!c->session_id[0])
        return;
    if (!gw_journal_id_ok(c->session_id)) {
        log_warn("conn %llu: session id from the broker is not URL-safe; session not reported",
                 (unsigned long long)c->id);
        return;
    }
    if (!strcmp(event, "disconnected")) {
        /* The same session relayed by another connection (the user connected again before
         * this one ended): it is not disconnected. */
        if (relayed_here(c->ctx, c->session_id, c)) {
            log_info("conn %llu: session %s continues on another connection; not reported "
                     "disconnected",
                     (unsigned long long)c->id, c->session_id);
            return;
        }
        struct pending_end *e =
            add_end(s, c->session_id, (int64_t)c->bytes_c2s, (int64_t)c->bytes_s2c);
        if (e)
            post_end(e);
        return;
    }
    /* connected: an end still pending for this session is moot now. */
    for (struct pending_end *e = s->ends, *n; e; e = n) {
        n = e->next;
        if (!strcmp(e->id, c->session_id)) {
            first_round_done(s, e);
            unlink_end(s, e);
        }
    }
    struct dp_err err = {0};
    if (gw_journal_add(s->journal, c->session_id, &err) < 0)
        log_warn("conn %llu: %s", (unsigned long long)c->id, dp_err_msg(&err));
    char path[200];
    snprintf(path, sizeof path, "/gateway/sessions/%s/event", c->session_id);
    json_t *b = json_pack("{s:s, s:I, s:I}", "event", event, "bytes_in", (json_int_t)c->bytes_c2s,
                          "bytes_out", (json_int_t)c->bytes_s2c);
    if (b)
        gw_broker_post(c->ctx->broker, path, b, NULL, NULL);
    c->session_reported = 1;
}
