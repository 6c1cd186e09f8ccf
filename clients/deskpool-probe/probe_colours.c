/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_colours.h"

#include <stdlib.h>

long probe_count_colours(const uint8_t *bgrx, unsigned width, unsigned height, size_t stride)
{
    /* One bit per possible colour: 2^24 bits = 2 MiB, whatever the screen size. */
    uint8_t *seen = calloc((size_t)1 << 21, 1);
    long count = 0;

    if (!seen)
        return -1;
    for (unsigned y = 0; y < height; y++) {
        const uint8_t *p = bgrx + (size_t)y * stride;
        for (unsigned x = 0; x < width; x++, p += 4) {
            uint32_t c = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
            uint8_t bit = (uint8_t)(1u << (c & 7));
            if (!(seen[c >> 3] & bit)) {
                seen[c >> 3] |= bit;
                count++;
            }
        }
    }
    free(seen);
    return count;
}
