/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonwire (QMP/QGA stream framing) under libFuzzer. Input: byte 0 picks the message
 * bound, byte 1 the read size, the rest is what QEMU or a guest would send. The stream is
 * framed twice, whole and in reads of that size, and must give the same messages and
 * markers both ways (junk may be cut differently); every message must parse or be
 * refused by jansson without harm.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonwire.h"

struct trace {
    char *text;
    size_t len, cap;
};

static void trace_add(struct trace *t, const void *data, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        t->text = realloc(t->text, t->cap);
        if (!t->text)
            abort();
    }
    memcpy(t->text + t->len, data, n);
    t->len += n;
}

/* Frames `data` read `step` bytes at a time (step 0: all at once); returns the token trace. */
static void frame(const uint8_t *data, size_t size, size_t max, size_t step, struct trace *t)
{
    struct jsonwire w;
    uint8_t *buf = malloc(size + 1);
    size_t have = 0, fed = 0;

    if (!buf)
        abort();
    jsonwire_init(&w, max);
    while (fed < size || have > 0) {
        size_t n = step && size - fed > step ? step : size - fed;
        memcpy(buf + have, data + fed, n);
        have += n;
        fed += n;
        for (;;) {
            struct jsonwire_token tok;
            jsonwire_next(&w, buf, have, &tok);
            if (tok.consumed > have)
                abort();
            if (tok.kind != JSONWIRE_NEED_MORE && tok.consumed == 0)
                abort(); /* no progress: a reader would spin */
            if (tok.kind == JSONWIRE_MESSAGE) {
                if (tok.start + tok.len > tok.consumed || tok.len > w.max_len || tok.len < 2 ||
                    buf[tok.start] != '{' || buf[tok.start + tok.len - 1] != '}')
                    abort();
                json_t *v = json_loadb((const char *)buf + tok.start, tok.len, 0, NULL);
                json_decref(v);
                trace_add(t, "M", 1);
                trace_add(t, buf + tok.start, tok.len);
            } else if (tok.kind != JSONWIRE_NEED_MORE && tok.kind != JSONWIRE_JUNK) {
                char k = (char)('0' + tok.kind);
                trace_add(t, &k, 1);
            }
            memmove(buf, buf + tok.consumed, have - tok.consumed);
            have -= tok.consumed;
            if (tok.kind == JSONWIRE_NEED_MORE)
                break;
        }
        if (fed == size)
            break; /* what is left is a partial message: a reader would wait */
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* Small bounds reach "too large" quickly; 0 also tests the 1 MiB default. */
    size_t max = data[0] % 4 == 0 ? 0 : 1 + data[0] % 200;
    size_t step = 1 + data[1] % 17;
    struct trace whole = {0}, pieces = {0};

    frame(data + 2, size - 2, max, 0, &whole);
    frame(data + 2, size - 2, max, step, &pieces);
    if (whole.len != pieces.len || (whole.len && memcmp(whole.text, pieces.text, whole.len)))
        abort();
    free(whole.text);
    free(pieces.text);
    return 0;
}
