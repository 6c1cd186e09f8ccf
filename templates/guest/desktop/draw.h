/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_DRAW_H
#define DESKPOOL_DESKTOP_DRAW_H

#include <stddef.h>
#include <stdint.h>

/*
 * A 32-bit framebuffer in the layout FreeRDP calls PIXEL_FORMAT_BGRX32: one uint32_t per
 * pixel, 0x00RRGGBB, top row first. Only this layout is drawn, so the encoder never converts.
 */
struct fb {
    uint32_t *px;
    int width;
    int height;
    int stride; /* pixels per row */
};

/* Allocates a width x height framebuffer cleared to black; returns -1 when out of memory. */
int fb_init(struct fb *fb, int width, int height);
void fb_free(struct fb *fb);

/* Fills a rectangle, clipped to the framebuffer (so callers may pass any coordinates). */
void fb_fill(struct fb *fb, int x, int y, int w, int h, uint32_t color);
/* A one-pixel-wide outline of a rectangle, clipped. */
void fb_frame(struct fb *fb, int x, int y, int w, int h, uint32_t color);
/* Reads a pixel; 0 outside the framebuffer. */
uint32_t fb_get(const struct fb *fb, int x, int y);

#endif
