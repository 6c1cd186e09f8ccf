/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_JSONWIRE_H
#define DESKPOOL_HV_JSONWIRE_H

/*
 * Splits the byte stream of a QMP or QEMU guest agent (QGA) socket into JSON messages.
 *
 * QEMU writes one JSON object per line ("\r\n"), but nothing on the QGA side promises
 * lines: after a reconnect the pipe may hold the tail of an old reply, and the agent
 * writes a 0xFF byte (never valid in UTF-8) before a guest-sync-delimited reply so a
 * client can find its way back. So this scanner does not trust line ends; it tracks
 * brackets and strings, and treats 0xFF as a hard reset anywhere.
 *
 * It is pure: no I/O, no allocation, bounded by `max_len` per message. The caller keeps
 * unconsumed bytes in its own buffer and calls jsonwire_next() with all of them; the
 * scanner remembers how far into a partial message it already looked, so a message that
 * arrives in many reads is scanned once. It only frames messages: json_loadb() checks
 * what is inside.
 */
#include <stddef.h>
#include <stdint.h>

/* Default bound on one message: query-qmp-schema, the largest reply we know, is ~200 KiB. */
#define JSONWIRE_MAX_DEFAULT (1024 * 1024)
/* Deeper nesting than this is not QMP; refusing it also bounds json_loadb()'s recursion. */
#define JSONWIRE_MAX_DEPTH 64

enum jsonwire_kind {
    JSONWIRE_NEED_MORE, /* no complete token yet: drop `consumed` bytes, read more, call again */
    JSONWIRE_MESSAGE,   /* buf[start .. start+len) is one complete {...} object */
    JSONWIRE_DELIM,     /* a 0xFF byte (QGA's guest-sync-delimited marker) */
    JSONWIRE_JUNK,      /* bytes that cannot start a message (outside any object) */
    JSONWIRE_MALFORMED, /* a message broken off: bad nesting, control byte in a string, 0xFF */
    JSONWIRE_TOO_LARGE, /* a message longer than max_len */
};

struct jsonwire_token {
    enum jsonwire_kind kind;
    size_t start;    /* JSONWIRE_MESSAGE: offset of '{' in buf */
    size_t len;      /* JSONWIRE_MESSAGE: length of the object */
    size_t consumed; /* bytes the caller must drop from the front of buf before the next call */
};

/* Scanner state; treat as opaque. */
struct jsonwire {
    size_t max_len;
    size_t pos;      /* bytes of the partial message (which starts at buf[0]) already scanned */
    int in_message;  /* buf[0] is the '{' of a partial message */
    int depth;       /* open brackets */
    uint64_t arrays; /* bit d set: the bracket at depth d+1 is '[' (else '{') */
    int in_string;
    int escape;
};

/* Starts a scanner with a bound on message size (0 means JSONWIRE_MAX_DEFAULT). */
void jsonwire_init(struct jsonwire *w, size_t max_len);

/*
 * Finds the next token in buf[0 .. len), which must be every byte received and not yet
 * consumed. Whitespace between messages is skipped and counted in `consumed`.
 * Promises: every kind but JSONWIRE_NEED_MORE has consumed >= 1, so a caller looping
 * until NEED_MORE always terminates; consumed <= len; a MESSAGE lies within
 * buf[0 .. consumed). After MALFORMED or TOO_LARGE the scanner has reset and is usable
 * again (what follows is read as a new stream), though a protocol client will usually
 * give up on the connection instead.
 */
void jsonwire_next(struct jsonwire *w, const uint8_t *buf, size_t len, struct jsonwire_token *out);

/* A short name for a kind, for messages ("malformed", "too large", ...). */
const char *jsonwire_kind_name(enum jsonwire_kind kind);

#endif
