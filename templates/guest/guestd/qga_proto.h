/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_QGA_PROTO_H
#define DESKPOOL_QGA_PROTO_H

/*
 * The QGA wire protocol, guest side: a byte stream of JSON objects in, replies out.
 *
 * qga_feed() is a pure function of the connection state and the bytes given (plus the
 * commands' effects through struct guestd_ctx): it never blocks, never reads the
 * channel, and bounds what it buffers, so it can be fuzzed. Framing follows qemu-ga:
 * objects are delimited by brace balance (strings and escapes respected), whitespace
 * between them is ignored, a 0xFF byte (never valid UTF-8) throws away any partial
 * input — hosts send one before guest-sync-delimited to resynchronise.
 */
#include <stddef.h>
#include <stdint.h>

#include "guestd.h"

#define QGA_MSG_MAX (64 * 1024) /* largest request we accept; real ones are < 1 KiB */
#define QGA_DEPTH_MAX 32        /* deepest nesting of {} and [] we accept */

enum qga_frame_state { QGA_IDLE, QGA_IN_MSG, QGA_STRAY, QGA_OVERSIZE };

struct qga_conn {
    const struct guestd_ctx *ctx;
    enum qga_frame_state state;
    int depth;
    int in_string;
    int escaped;
    size_t len;
    char buf[QGA_MSG_MAX];
};

/* Growable reply buffer; the caller writes data[0..len) to the channel and resets len. */
struct qga_out {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void qga_conn_init(struct qga_conn *conn, const struct guestd_ctx *ctx);
/* Forgets any partial request (a new host client connected, or 0xFF was received). */
void qga_conn_reset(struct qga_conn *conn);
/* Consumes len bytes and appends every reply they produce to out. Returns -1 only when
 * out cannot grow (out of memory); malformed input gives QGA error replies instead. */
int qga_feed(struct qga_conn *conn, const uint8_t *in, size_t len, struct qga_out *out);
/* Runs one complete request (already framed) and appends its reply. Exposed for tests. */
int qga_handle_message(const struct guestd_ctx *ctx, const char *msg, size_t len,
                       struct qga_out *out);
void qga_out_free(struct qga_out *out);

#endif
