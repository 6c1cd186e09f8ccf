/* SPDX-License-Identifier: Apache-2.0 */
/* Session bookkeeping for the broker: connected at relay start, disconnected at the end,
 * with byte counts; the broker starts the pool's disconnect timeout from there. */
#include "gw.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "broker_client.h"
#include "log.h"

void gw_session_report(struct gw_conn *c, const char *event)
{
    if (!c->session_id[0])
        return;
    size_t n = strlen(c->session_id);
    if (strspn(c->session_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        n) {
        log_warn("conn %llu: session id from the broker is not URL-safe; session not reported",
                 (unsigned long long)c->id);
        return;
    }
    char path[200];
    snprintf(path, sizeof path, "/gateway/sessions/%s/event", c->session_id);
    json_t *b = json_pack("{s:s, s:I, s:I}", "event", event, "bytes_in", (json_int_t)c->bytes_c2s,
                          "bytes_out", (json_int_t)c->bytes_s2c);
    if (b)
        gw_broker_post(c->ctx->broker, path, b, NULL, NULL);
    if (!strcmp(event, "connected"))
        c->session_reported = 1;
}
