/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_COLOURS_H
#define DESKPOOL_PROBE_COLOURS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Number of distinct 24-bit colours in a BGRX framebuffer (the fourth byte is ignored).
 * A cheap "is this a real desktop?" signal: a black or single-colour screen gives 1.
 * Returns -1 if the 2 MiB scratch bitmap cannot be allocated.
 */
long probe_count_colours(const uint8_t *bgrx, unsigned width, unsigned height, size_t stride);

#endif
