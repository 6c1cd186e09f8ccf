/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.224 Connection Request and Confirm under libFuzzer. The input is parsed as both. An
 * accepted PDU must: fit the input, make every shorter read wait, and survive a rebuild
 * (build(parse(x)) parses back to the same fields; for a request the bytes are the same
 * too, but for reserved ones, so what the gateway forwards to the VM is what the client sent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x224.h"

static void check_cr(const uint8_t *data, size_t size)
{
    struct gw_x224_cr cr, back;
    struct dp_err err = {0};
    size_t used = 0, u2 = 0;

    int rc = gw_x224_cr_parse(data, size, &cr, &used, &err);
    if (rc == GW_ERROR && !err.set)
        abort();
    if (rc != GW_OK)
        return;
    if (used > size || used > GW_X224_CR_MAX || cr.value_len != strlen(cr.value))
        abort();
    for (size_t k = 0; k < used; k++)
        if (gw_x224_cr_parse(data, k, &back, &u2, NULL) != GW_NEED_MORE)
            abort();
    uint8_t out[GW_X224_CR_MAX];
    int w = gw_x224_cr_build(&cr, out, sizeof out, NULL);
    /* The correlation info's 16 reserved bytes are ignored on input and rebuilt as zeros. */
    size_t same = cr.has_correlation ? used - 16 : used;
    if (w < 0 || (size_t)w != used || memcmp(out, data, same) != 0)
        abort();
}

static void check_cc(const uint8_t *data, size_t size)
{
    struct gw_x224_cc cc, back;
    size_t used = 0, u2 = 0;

    if (gw_x224_cc_parse(data, size, &cc, &used, NULL) != GW_OK)
        return;
    if (used > size)
        abort();
    for (size_t k = 0; k < used; k++)
        if (gw_x224_cc_parse(data, k, &back, &u2, NULL) != GW_NEED_MORE)
            abort();
    uint8_t out[32];
    int w = gw_x224_cc_build(&cc, out, sizeof out, NULL);
    if (w < 0 || gw_x224_cc_parse(out, (size_t)w, &back, &u2, NULL) != GW_OK ||
        back.kind != cc.kind || back.selected_protocol != cc.selected_protocol ||
        back.failure_code != cc.failure_code || back.flags != cc.flags)
        abort();
}

/* Arbitrary cookie text through the builder: what it accepts must parse back unchanged. */
static void check_build(const uint8_t *data, size_t size)
{
    if (size < 6)
        return;
    struct gw_x224_cr cr = {0}, back;
    cr.line_kind = (enum gw_x224_line_kind)(data[0] % 4);
    cr.has_neg_req = data[1] & 1;
    cr.has_correlation = cr.has_neg_req && (data[1] & 2);
    cr.neg_flags = data[2] & (uint8_t)~GW_NEG_CORRELATION_INFO_PRESENT;
    cr.requested_protocols = cr.has_neg_req ? data[3] : 0; /* only sent with RDP_NEG_REQ */
    cr.src_ref = (uint16_t)(data[4] << 8 | data[5]);
    size_t n = size - 6 < GW_X224_LINE_MAX ? size - 6 : GW_X224_LINE_MAX;
    memcpy(cr.value, data + 6, n);
    cr.value[n] = '\0';
    uint8_t out[GW_X224_CR_MAX];
    size_t used;
    int w = gw_x224_cr_build(&cr, out, sizeof out, NULL);
    if (w < 0)
        return;
    if (gw_x224_cr_parse(out, (size_t)w, &back, &used, NULL) != GW_OK || used != (size_t)w)
        abort();
    /* A line that happens to start with a cookie prefix is read back as that cookie. */
    if (back.has_neg_req != cr.has_neg_req || back.requested_protocols != cr.requested_protocols ||
        back.src_ref != cr.src_ref || back.has_correlation != cr.has_correlation)
        abort();
    if (cr.line_kind == GW_X224_LINE_NONE ? back.line_kind != GW_X224_LINE_NONE
                                          : back.line_kind == GW_X224_LINE_NONE)
        abort();
    if (cr.line_kind != GW_X224_LINE_NONE && back.line_kind == cr.line_kind &&
        strcmp(back.value, cr.value) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_cr(data, size);
    check_cc(data, size);
    check_build(data, size);
    return 0;
}
