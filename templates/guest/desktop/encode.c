/* SPDX-License-Identifier: Apache-2.0 */
#include "encode.h"

#include <freerdp/codec/color.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum {
    TILE = 64,
    /* Bytes one rectangle costs besides its data: TS_BITMAP_DATA header + compression header. */
    RECT_OVERHEAD = 18 + 8,
    /* Update header, fast-path header and a margin; FreeRDP counts them against the limit. */
    UPDATE_OVERHEAD = 64,
};

struct batch {
    BITMAP_DATA rects[256];
    int n;
    size_t bytes;
};

int encoder_init(struct encoder *e, int width, int height)
{
    memset(e, 0, sizeof *e);
    e->planar = freerdp_bitmap_planar_context_new(
        PLANAR_FORMAT_HEADER_NA | PLANAR_FORMAT_HEADER_RLE, TILE, TILE);
    if (!e->planar || fb_init(&e->sent, width, height) != 0) {
        encoder_free(e);
        return -1;
    }
    return 0;
}

void encoder_free(struct encoder *e)
{
    if (e->planar)
        freerdp_bitmap_planar_context_free(e->planar);
    e->planar = NULL;
    fb_free(&e->sent);
}

void encoder_set_max_update(struct encoder *e, unsigned max_bytes)
{
    e->max_update = max_bytes;
}

static void batch_reset(struct batch *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->rects[i].bitmapDataStream);
    b->n = 0;
    b->bytes = UPDATE_OVERHEAD;
}

static int batch_flush(struct batch *b, rdpContext *ctx)
{
    int ok = 1;
    if (b->n > 0) {
        BITMAP_UPDATE bu = {0};
        bu.count = bu.number = (UINT32)b->n;
        bu.rectangles = b->rects;
        ok = ctx->update->BitmapUpdate(ctx, &bu);
        if (!ok)
            log_warn("sending a bitmap update to the client failed (connection lost?)");
    }
    batch_reset(b);
    return ok ? 0 : -1;
}

/* Uncompressed 32 bpp: rows bottom-up, no padding (MS-RDPBCGR 2.2.9.1.1.3.1.2.2). */
static BYTE *raw_bottom_up(const struct fb *fb, int x, int y, int w, int h, UINT32 *size)
{
    BYTE *out = malloc((size_t)w * (size_t)h * 4);
    if (!out)
        return NULL;
    for (int row = 0; row < h; row++)
        memcpy(out + (size_t)(h - 1 - row) * (size_t)w * 4,
               fb->px + (size_t)(y + row) * (size_t)fb->stride + (size_t)x, (size_t)w * 4);
    *size = (UINT32)((size_t)w * (size_t)h * 4);
    return out;
}

/*
 * Adds the rectangle to the batch, flushing first when it would not fit. A rectangle too big
 * for an empty update (a client with a small MultifragMaxRequestSize) is split in four.
 */
static int add_rect(struct encoder *e, struct batch *b, rdpContext *ctx, const struct fb *fb, int x,
                    int y, int w, int h, size_t budget)
{
    UINT32 size = 0;
    BOOL compressed = TRUE;
    const BYTE *src = (const BYTE *)(fb->px + (size_t)y * (size_t)fb->stride + (size_t)x);
    BYTE *data = freerdp_bitmap_compress_planar(e->planar, src, PIXEL_FORMAT_BGRX32, (UINT32)w,
                                                (UINT32)h, (UINT32)fb->stride * 4, NULL, &size);
    if (!data || size >= (UINT32)w * (UINT32)h * 4) {
        free(data);
        compressed = FALSE;
        data = raw_bottom_up(fb, x, y, w, h, &size);
        if (!data) {
            log_error("out of memory encoding a %dx%d tile", w, h);
            return -1;
        }
    }
    if (UPDATE_OVERHEAD + RECT_OVERHEAD + (size_t)size > budget) {
        free(data);
        if (w <= 4 || h <= 4) {
            log_error("client's MultifragMaxRequestSize (%zu bytes) is too small for any bitmap",
                      budget);
            return -1;
        }
        int w1 = w / 2, h1 = h / 2;
        if (add_rect(e, b, ctx, fb, x, y, w1, h1, budget) != 0 ||
            add_rect(e, b, ctx, fb, x + w1, y, w - w1, h1, budget) != 0 ||
            add_rect(e, b, ctx, fb, x, y + h1, w1, h - h1, budget) != 0)
            return -1;
        return add_rect(e, b, ctx, fb, x + w1, y + h1, w - w1, h - h1, budget);
    }
    if (b->n == (int)(sizeof b->rects / sizeof b->rects[0]) ||
        b->bytes + RECT_OVERHEAD + size > budget) {
        if (batch_flush(b, ctx) != 0) {
            free(data);
            return -1;
        }
    }
    BITMAP_DATA *r = &b->rects[b->n++];
    memset(r, 0, sizeof *r);
    r->destLeft = (UINT32)x;
    r->destTop = (UINT32)y;
    r->destRight = (UINT32)(x + w - 1);
    r->destBottom = (UINT32)(y + h - 1);
    r->width = (UINT32)w;
    r->height = (UINT32)h;
    r->bitsPerPixel = 32;
    r->compressed = compressed;
    r->bitmapDataStream = data;
    r->bitmapLength = size;
    r->cbCompMainBodySize = size;
    r->cbScanWidth = (UINT32)w * 4;
    r->cbUncompressedSize = (UINT32)(w * h * 4);
    b->bytes += RECT_OVERHEAD + size;
    return 0;
}

static int tile_changed(const struct fb *a, const struct fb *b, int x, int y, int w, int h)
{
    for (int row = y; row < y + h; row++)
        if (memcmp(a->px + (size_t)row * (size_t)a->stride + (size_t)x,
                   b->px + (size_t)row * (size_t)b->stride + (size_t)x, (size_t)w * 4) != 0)
            return 1;
    return 0;
}

static void tile_copy(struct fb *dst, const struct fb *src, int x, int y, int w, int h)
{
    for (int row = y; row < y + h; row++)
        memcpy(dst->px + (size_t)row * (size_t)dst->stride + (size_t)x,
               src->px + (size_t)row * (size_t)src->stride + (size_t)x, (size_t)w * 4);
}

int encoder_send(struct encoder *e, rdpContext *ctx, const struct fb *fb, int force)
{
    if (fb->width != e->sent.width || fb->height != e->sent.height)
        return -1;
    size_t budget = ctx->settings->MultifragMaxRequestSize;
    if (e->max_update && e->max_update < budget)
        budget = e->max_update;
    static struct batch empty;
    struct batch *b = malloc(sizeof *b);
    if (!b)
        return -1;
    *b = empty;
    batch_reset(b);
    int rc = 0;
    if (!e->have_sent)
        force = 1;
    for (int y = 0; y < fb->height && rc == 0; y += TILE) {
        for (int x = 0; x < fb->width && rc == 0; x += TILE) {
            int w = fb->width - x < TILE ? fb->width - x : TILE;
            int h = fb->height - y < TILE ? fb->height - y : TILE;
            if (!force && !tile_changed(fb, &e->sent, x, y, w, h))
                continue;
            rc = add_rect(e, b, ctx, fb, x, y, w, h, budget);
            tile_copy(&e->sent, fb, x, y, w, h);
        }
    }
    if (rc == 0)
        rc = batch_flush(b, ctx);
    batch_reset(b);
    free(b);
    if (rc == 0)
        e->have_sent = 1;
    return rc;
}
