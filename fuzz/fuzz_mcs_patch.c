/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCS Connect Initial patching under libFuzzer. The patch must: leave the buffer untouched
 * unless it returns GW_OK; then change nothing but the three fields it reports (12 bytes at
 * most, all inside the PDU); and be idempotent (a second pass reports what the first wrote
 * and changes nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcs_patch.h"

#define SELECTED 0x0000000Bu

static int inside(size_t i, size_t at, size_t n)
{
    return i >= at && i < at + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    memcpy(buf, data, size);

    struct gw_mcs_patch_report rep, rep2;
    struct dp_err err = {0};
    int rc = gw_mcs_patch_connect_initial(buf, size, SELECTED, &rep, &err);
    if (rc != GW_OK) {
        if ((rc == GW_ERROR && !err.set) || (size && memcmp(buf, data, size) != 0))
            abort();
        free(buf);
        return 0;
    }
    if (rep.consumed > size || rep.core_offset + rep.core_len > rep.consumed)
        abort();
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == data[i])
            continue;
        /* Where did it write? Only at the reported fields. */
        size_t sel = rep.core_offset + GW_CS_CORE_SELECTED_PROTOCOL_OFFSET;
        if (i >= rep.consumed)
            abort();
        if (rep.selected_protocol_patched && inside(i, sel, 4))
            continue;
        if (rep.multitransport_patched && inside(i, rep.multitransport_offset + 4, 4))
            continue;
        if (rep.cluster_patched && inside(i, rep.cluster_offset + 4, 4))
            continue;
        abort();
    }
    uint8_t *again = malloc(size);
    if (!again)
        abort();
    memcpy(again, buf, size);
    if (gw_mcs_patch_connect_initial(again, size, SELECTED, &rep2, NULL) != GW_OK ||
        memcmp(again, buf, size) != 0 || rep2.core_offset != rep.core_offset ||
        (rep2.selected_protocol_patched && rep2.old_selected_protocol != SELECTED) ||
        (rep2.multitransport_patched && rep2.old_multitransport_flags != 0) ||
        (rep2.cluster_patched &&
         rep2.old_cluster_flags != (rep.old_cluster_flags & ~GW_CLUSTER_REDIRECTION_SUPPORTED)))
        abort();
    free(again);
    free(buf);
    return 0;
}
