/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's first read under libFuzzer: an optional MS-RDPEPS preconnection PDU, then
 * the X.224 Connection Request behind it, as the event loop will parse them. Checks: a PDU
 * is never claimed beyond the input, every shorter read of an accepted PDU waits (never
 * refuses), and the blob is a proper C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preconnection.h"
#include "x224.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_preconnection p;
    struct dp_err err = {0};
    size_t used = 0;

    int present = gw_preconnection_present(data, size);
    if (present < 0)
        return 0;
    if (present == 1) {
        int rc = gw_preconnection_parse(data, size, &p, &used, &err);
        if (rc == GW_ERROR && !err.set)
            abort(); /* every refusal says why */
        if (rc != GW_OK) {
            if (used != 0)
                abort();
            return 0;
        }
        if (used < 16 || used > size || used > GW_PCB_MAX_SIZE)
            abort();
        if (p.blob_len != strlen(p.blob) || p.blob_len >= sizeof p.blob)
            abort();
        if (!p.has_blob && p.blob_len != 0)
            abort();
        /* Shorter reads of an accepted PDU must wait. Check the short ones and the last. */
        for (size_t k = 0; k < used; k = k < 24 ? k + 1 : used - 1) {
            size_t u = 1;
            if (gw_preconnection_parse(data, k, &p, &u, NULL) != GW_NEED_MORE || u != 0)
                abort();
            if (k == used - 1)
                break;
        }
    }
    struct gw_x224_cr cr;
    size_t cr_used = 0;
    if (gw_x224_cr_parse(data + used, size - used, &cr, &cr_used, NULL) == GW_OK &&
        (cr_used > size - used || cr.value_len != strlen(cr.value)))
        abort();
    return 0;
}
