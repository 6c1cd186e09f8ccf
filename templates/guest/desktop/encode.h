/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_ENCODE_H
#define DESKPOOL_DESKTOP_ENCODE_H

#include <freerdp/codec/planar.h>
#include <freerdp/freerdp.h>

#include "draw.h"

/*
 * Sends a framebuffer to the client as plain Bitmap Updates: 64x64 tiles, 32 bpp planar
 * (RLE, no alpha), or 32 bpp uncompressed when planar does not help. Every RDP client decodes
 * these without RemoteFX, NSCodec or GFX. Only tiles that differ from what the client was
 * last sent go out, and updates are cut so none exceeds the client's MultifragMaxRequestSize.
 */
struct encoder {
    BITMAP_PLANAR_CONTEXT *planar;
    struct fb sent; /* what the client shows now */
    int have_sent;
    unsigned max_update; /* 0 = no cap of our own */
};

int encoder_init(struct encoder *e, int width, int height);
void encoder_free(struct encoder *e);

/*
 * Sends the tiles of fb that changed (all of them when force, e.g. after (re)activation).
 * fb must have the size encoder_init was given. Returns -1 if the connection failed.
 */
int encoder_send(struct encoder *e, rdpContext *ctx, const struct fb *fb, int force);

/* Caps every update at max_bytes when that is below the client's limit (0 = no cap): lets a
 * test exercise the splitting with a client that allows large updates. */
void encoder_set_max_update(struct encoder *e, unsigned max_bytes);

#endif
