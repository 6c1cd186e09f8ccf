/* SPDX-License-Identifier: Apache-2.0 */
#include "front_sm.h"

#include <string.h>

#define TSV_PREFIX "tsv://MS Terminal Services Plugin.1."

int gw_front_pool_from_text(const char *text, char pool[GW_POOL_NAME_MAX + 1])
{
    if (strncmp(text, TSV_PREFIX, strlen(TSV_PREFIX)) == 0)
        text += strlen(TSV_PREFIX);
    size_t n = strlen(text);
    if (n == 0 || n > GW_POOL_NAME_MAX)
        return -1;
    if (strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return -1;
    memcpy(pool, text, n + 1);
    return 0;
}

static int refuse(struct gw_front_decision *d, uint32_t code, const char *why, struct dp_err *err)
{
    struct gw_x224_cc cc = {.kind = GW_X224_CC_NEG_FAILURE, .failure_code = code};
    int n = gw_x224_cc_build(&cc, d->reply, sizeof d->reply, err);
    if (n < 0)
        return d->verdict = GW_FRONT_ERROR;
    d->reply_len = (size_t)n;
    d->why = why;
    return d->verdict = GW_FRONT_REFUSE;
}

int gw_front_decide(const uint8_t *buf, size_t len, int offer_hybrid_ex,
                    struct gw_front_decision *d, struct dp_err *err)
{
    memset(d, 0, sizeof *d);
    size_t off = 0;

    int pcb = gw_preconnection_present(buf, len);
    if (pcb < 0)
        return d->verdict = GW_FRONT_NEED_MORE;
    if (pcb == 1) {
        size_t used = 0;
        int rc = gw_preconnection_parse(buf, len, &d->pcb, &used, err);
        if (rc == GW_ERROR)
            return d->verdict = GW_FRONT_ERROR;
        if (rc == GW_NEED_MORE)
            return d->verdict = GW_FRONT_NEED_MORE;
        d->has_pcb = 1;
        off = used;
    }

    size_t used = 0;
    int rc = gw_x224_cr_parse(buf + off, len - off, &d->cr, &used, err);
    if (rc == GW_ERROR)
        return d->verdict = GW_FRONT_ERROR;
    if (rc == GW_NEED_MORE) {
        if (len >= GW_FRONT_MAX_FIRST) {
            dp_err_set(err, "client sent %zu bytes without a complete Connection Request", len);
            return d->verdict = GW_FRONT_ERROR;
        }
        return d->verdict = GW_FRONT_NEED_MORE;
    }
    d->consumed = off + used;

    /* A pool named by the client: load-balance info first (it is what .rdp files carry),
     * then the preconnection blob. A name that is not a pool name is ignored, not refused:
     * the broker's default pool choice still applies. */
    if (d->cr.line_kind == GW_X224_LINE_LB_INFO)
        (void)gw_front_pool_from_text(d->cr.value, d->pool);
    if (!d->pool[0] && d->has_pcb && d->pcb.has_blob)
        (void)gw_front_pool_from_text(d->pcb.blob, d->pool);

    if (d->cr.line_kind == GW_X224_LINE_ROUTING_TOKEN) {
        d->verdict = GW_FRONT_TOKEN;
        return d->verdict;
    }

    if (!d->cr.has_neg_req || d->cr.requested_protocols == GW_PROTOCOL_RDP)
        return refuse(d, GW_NEGFAIL_HYBRID_REQUIRED_BY_SERVER,
                      "standard RDP security only (NLA required)", err);
    uint32_t req = d->cr.requested_protocols;
    if (!(req & (GW_PROTOCOL_HYBRID | GW_PROTOCOL_HYBRID_EX)))
        return refuse(d, GW_NEGFAIL_HYBRID_REQUIRED_BY_SERVER,
                      "no NLA (HYBRID) in the requested protocols", err);

    uint32_t sel = GW_PROTOCOL_HYBRID;
    if ((req & GW_PROTOCOL_HYBRID_EX) && (offer_hybrid_ex || !(req & GW_PROTOCOL_HYBRID)))
        sel = GW_PROTOCOL_HYBRID_EX;
    struct gw_x224_cc cc = {
        .kind = GW_X224_CC_NEG_RSP,
        .flags = GW_NEGRSP_EXTENDED_CLIENT_DATA_SUPPORTED,
        .selected_protocol = sel,
    };
    int n = gw_x224_cc_build(&cc, d->reply, sizeof d->reply, err);
    if (n < 0)
        return d->verdict = GW_FRONT_ERROR;
    d->reply_len = (size_t)n;
    d->selected_protocol = sel;
    return d->verdict = GW_FRONT_NLA;
}
