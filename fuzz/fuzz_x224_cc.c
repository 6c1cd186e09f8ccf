/* SPDX-License-Identifier: Apache-2.0 */
/* The readiness probe's X.224 Connection Confirm parser: any bytes, any prefix length. */
#include "check_x224.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    int whole = x224_cc_parse(data, size, &why);
    if (whole < -1 || whole > 1 || (whole == -1 && !why))
        abort();
    /* A complete answer stays complete however many more bytes follow. */
    for (size_t n = 0; n <= size; n++) {
        int r = x224_cc_parse(data, n, &why);
        if (r == 1 && x224_cc_parse(data, size, &why) != 1)
            abort();
    }
    return 0;
}
