/* SPDX-License-Identifier: Apache-2.0 */
#include "jsonwire.h"

#include <string.h>

#define JSONWIRE_RESYNC 0xFF

static int is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void restart(struct jsonwire *w)
{
    size_t max = w->max_len;
    memset(w, 0, sizeof *w);
    w->max_len = max;
}

void jsonwire_init(struct jsonwire *w, size_t max_len)
{
    memset(w, 0, sizeof *w);
    w->max_len = max_len ? max_len : JSONWIRE_MAX_DEFAULT;
}

/* Ends the current message (or broken message) with a token of `kind`. */
static void finish(struct jsonwire *w, struct jsonwire_token *out, enum jsonwire_kind kind,
                   size_t consumed)
{
    out->kind = kind;
    out->consumed = consumed;
    restart(w);
}

/*
 * Bytes outside any object. A run of junk ends before the next '{' or 0xFF, which may
 * start real traffic, and after a newline, so one bad line is reported once.
 */
static size_t junk_run(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len && buf[i] != '{' && buf[i] != JSONWIRE_RESYNC) {
        if (buf[i++] == '\n')
            break;
    }
    return i;
}

/* Scans message bytes m[w->pos .. mlen); m[0] is its '{'. Returns 1 when a token is out. */
static int scan_message(struct jsonwire *w, const uint8_t *m, size_t mlen, size_t base,
                        struct jsonwire_token *out)
{
    size_t p;
    for (p = w->pos; p < mlen; p++) {
        uint8_t ch = m[p];
        if (p >= w->max_len) {
            finish(w, out, JSONWIRE_TOO_LARGE, base + p);
            return 1;
        }
        /* 0xFF is never valid UTF-8: QGA's resync marker cuts any message short. */
        if (ch == JSONWIRE_RESYNC) {
            finish(w, out, JSONWIRE_MALFORMED, base + p);
            return 1;
        }
        if (w->in_string) {
            if (w->escape) {
                w->escape = 0;
            } else if (ch == '\\') {
                w->escape = 1;
            } else if (ch == '"') {
                w->in_string = 0;
            } else if (ch < 0x20) {
                /* JSON forbids raw control bytes in strings; a newline here is a cut line. */
                finish(w, out, JSONWIRE_MALFORMED, base + p);
                return 1;
            }
            continue;
        }
        if (ch == '"') {
            w->in_string = 1;
        } else if (ch == '{' || ch == '[') {
            if (w->depth >= JSONWIRE_MAX_DEPTH) {
                finish(w, out, JSONWIRE_MALFORMED, base + p);
                return 1;
            }
            if (ch == '[')
                w->arrays |= (uint64_t)1 << w->depth;
            w->depth++;
        } else if (ch == '}' || ch == ']') {
            int is_array = (int)((w->arrays >> (w->depth - 1)) & 1);
            if (is_array != (ch == ']')) {
                finish(w, out, JSONWIRE_MALFORMED, base + p);
                return 1;
            }
            w->arrays &= ~((uint64_t)1 << (w->depth - 1));
            if (--w->depth == 0) {
                out->start = base;
                out->len = p + 1;
                finish(w, out, JSONWIRE_MESSAGE, base + p + 1);
                return 1;
            }
        } else if (ch < 0x20 && !is_space(ch)) {
            finish(w, out, JSONWIRE_MALFORMED, base + p);
            return 1;
        }
    }
    w->pos = p;
    return 0;
}

void jsonwire_next(struct jsonwire *w, const uint8_t *buf, size_t len, struct jsonwire_token *out)
{
    memset(out, 0, sizeof *out);
    size_t base = 0;

    if (!w->in_message) {
        while (base < len && is_space(buf[base]))
            base++;
        if (base == len) {
            out->kind = JSONWIRE_NEED_MORE;
            out->consumed = base;
            return;
        }
        if (buf[base] == JSONWIRE_RESYNC) {
            out->kind = JSONWIRE_DELIM;
            out->consumed = base + 1;
            return;
        }
        if (buf[base] != '{') {
            out->kind = JSONWIRE_JUNK;
            out->consumed = base + junk_run(buf + base, len - base);
            return;
        }
        w->in_message = 1;
        w->depth = 1;
        w->pos = 1;
    }
    if (scan_message(w, buf + base, len - base, base, out))
        return;
    /* Partial message: the caller drops what precedes it, so next time buf[0] is its '{'. */
    out->kind = JSONWIRE_NEED_MORE;
    out->consumed = base;
}

const char *jsonwire_kind_name(enum jsonwire_kind kind)
{
    switch (kind) {
    case JSONWIRE_NEED_MORE:
        return "incomplete";
    case JSONWIRE_MESSAGE:
        return "message";
    case JSONWIRE_DELIM:
        return "0xFF delimiter";
    case JSONWIRE_JUNK:
        return "bytes that are not JSON";
    case JSONWIRE_MALFORMED:
        return "malformed message";
    case JSONWIRE_TOO_LARGE:
        return "message too large";
    }
    return "?";
}
