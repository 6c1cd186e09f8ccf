/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_PNG_H
#define DESKPOOL_PROBE_PNG_H

#include <stddef.h>
#include <stdint.h>

struct dp_err;

/*
 * Writes a BGRX framebuffer (bytes B, G, R, unused; `stride` bytes per row, top row first)
 * as an 8-bit RGB PNG. Writes PATH.tmp and renames it, so a reader never sees half a file.
 * Returns 0, or -1 with err saying what failed.
 */
int probe_png_write(const char *path, const uint8_t *bgrx, unsigned width, unsigned height,
                    size_t stride, struct dp_err *err);

#endif
