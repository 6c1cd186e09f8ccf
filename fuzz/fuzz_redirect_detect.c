/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-to-client framing and redirection verdicts under libFuzzer, used as the relay
 * will use them: frame PDU after PDU through the input. Each frame must fit the input and
 * make progress; shorter reads of a framed PDU wait; the verdict's offset lies inside it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "redirect_detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        struct gw_s2c_pdu out, tmp;
        struct dp_err err = {0};
        int rc = gw_redirect_detect(data + pos, size - pos, GW_MCS_IO_CHANNEL, &out, &err);
        if (rc == GW_ERROR && !err.set)
            abort();
        if (rc != GW_OK)
            break;
        if (out.len == 0 || out.len > size - pos)
            abort();
        if (out.redirect && (out.fastpath || out.redirect_at + 4 > out.len))
            abort();
        for (size_t k = 0; k < out.len; k = k < 16 ? k + 1 : k + 1 + k / 2)
            if (gw_redirect_detect(data + pos, k, GW_MCS_IO_CHANNEL, &tmp, NULL) != GW_NEED_MORE)
                abort();
        pos += out.len;
    }
    return 0;
}
