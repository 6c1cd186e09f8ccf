/* SPDX-License-Identifier: Apache-2.0 */
#include "draw.h"

#include <stdlib.h>

int fb_init(struct fb *fb, int width, int height)
{
    fb->px = NULL;
    fb->width = fb->height = fb->stride = 0;
    if (width <= 0 || height <= 0)
        return -1;
    fb->px = calloc((size_t)width * (size_t)height, sizeof *fb->px);
    if (!fb->px)
        return -1;
    fb->width = width;
    fb->height = height;
    fb->stride = width;
    return 0;
}

void fb_free(struct fb *fb)
{
    free(fb->px);
    fb->px = NULL;
}

void fb_fill(struct fb *fb, int x, int y, int w, int h, uint32_t color)
{
    int x0 = x < 0 ? 0 : x;
    int y0 = y < 0 ? 0 : y;
    /* Compare in long long so huge sizes from callers cannot overflow the clip. */
    long long x1 = (long long)x + w, y1 = (long long)y + h;
    if (x1 > fb->width)
        x1 = fb->width;
    if (y1 > fb->height)
        y1 = fb->height;
    for (int row = y0; row < y1; row++) {
        uint32_t *p = fb->px + (size_t)row * (size_t)fb->stride;
        for (int col = x0; col < x1; col++)
            p[col] = color;
    }
}

void fb_frame(struct fb *fb, int x, int y, int w, int h, uint32_t color)
{
    if (w <= 0 || h <= 0)
        return;
    fb_fill(fb, x, y, w, 1, color);
    fb_fill(fb, x, y + h - 1, w, 1, color);
    fb_fill(fb, x, y, 1, h, color);
    fb_fill(fb, x + w - 1, y, 1, h, color);
}

uint32_t fb_get(const struct fb *fb, int x, int y)
{
    if (x < 0 || y < 0 || x >= fb->width || y >= fb->height)
        return 0;
    return fb->px[(size_t)y * (size_t)fb->stride + (size_t)x];
}
