/* SPDX-License-Identifier: Apache-2.0 */
/* At most [limits] max_vm_logins logins into desktop VMs at once; the rest wait in line
 * (why: gw.h, gw_vm_login_begin). */
#include "gw.h"

#include "log.h"

static void publish(struct gw_ctx *ctx)
{
    ctx->metrics.vm_logins_active = (uint64_t)ctx->logins.active;
    ctx->metrics.vm_logins_waiting = (uint64_t)ctx->logins.waiting;
}

int gw_vm_login_begin(struct gw_conn *c)
{
    struct gw_ctx *ctx = c->ctx;
    struct gw_login_queue *q = &ctx->logins;
    int limit = ctx->cfg->max_vm_logins;
    if (limit > 0 && (q->active >= limit || q->head)) {
        c->login_state = GW_LOGIN_WAITING;
        c->login_next = NULL;
        if (q->tail)
            q->tail->login_next = c;
        else
            q->head = c;
        q->tail = c;
        q->waiting++;
        publish(ctx);
        log_info("conn %llu: user \"%s\" waits for a VM login slot (%d under way, %d waiting)",
                 (unsigned long long)c->id, c->user, q->active, q->waiting);
        return 0;
    }
    c->login_state = GW_LOGIN_ACTIVE;
    q->active++;
    publish(ctx);
    return 1;
}

static void unlink_waiting(struct gw_login_queue *q, struct gw_conn *c)
{
    struct gw_conn *prev = NULL;
    for (struct gw_conn *w = q->head; w; prev = w, w = w->login_next) {
        if (w != c)
            continue;
        if (prev)
            prev->login_next = w->login_next;
        else
            q->head = w->login_next;
        if (q->tail == w)
            q->tail = prev;
        q->waiting--;
        break;
    }
    c->login_next = NULL;
}

void gw_vm_login_end(struct gw_conn *c)
{
    struct gw_ctx *ctx = c->ctx;
    struct gw_login_queue *q = &ctx->logins;
    if (c->login_state == GW_LOGIN_WAITING)
        unlink_waiting(q, c);
    else if (c->login_state == GW_LOGIN_ACTIVE)
        q->active--;
    c->login_state = GW_LOGIN_NONE;
    publish(ctx);
    if (q->pumping)
        return; /* the outer call below goes on with the line */
    q->pumping = 1;
    int limit = ctx->cfg->max_vm_logins;
    while (q->head && (limit <= 0 || q->active < limit)) {
        struct gw_conn *next = q->head;
        q->head = next->login_next;
        if (!q->head)
            q->tail = NULL;
        next->login_next = NULL;
        q->waiting--;
        next->login_state = GW_LOGIN_ACTIVE;
        q->active++;
        publish(ctx);
        /* May end next at once (connect failed): the loop carries on. */
        (q->start ? q->start : gw_backend_connect)(next);
    }
    q->pumping = 0;
}
