/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.x response parser: pure, bounded, re-entrant over a growing buffer (fuzzed). */
#include "http.h"

#include "err.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum framing { FRAME_NONE, FRAME_LENGTH, FRAME_CHUNKED, FRAME_EOF };

struct head {
    int status;
    size_t len; /* bytes of status line + headers + blank line */
    enum framing framing;
    size_t content_length;
};

/* Finds the end of the line starting at pos: returns the index of its '\n', or -1. The line
 * may end in "\r\n" or a bare "\n" (lenient like curl); *text_len excludes the "\r". */
static long line_end(const char *buf, size_t len, size_t pos, size_t *text_len)
{
    const char *nl = memchr(buf + pos, '\n', len - pos);
    if (!nl)
        return -1;
    size_t end = (size_t)(nl - buf);
    size_t n = end - pos;
    if (n > 0 && buf[end - 1] == '\r')
        n--;
    *text_len = n;
    return (long)end;
}

static int parse_status_line(const char *s, size_t n, int *status, struct dp_err *err)
{
    /* "HTTP/1.1 200 OK": version, a space, three digits, then a space or the end. */
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]) || s[8] != ' ' ||
        !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
        !isdigit((unsigned char)s[11]) || (n > 12 && s[12] != ' ')) {
        dp_err_set(err, "the answer is not an HTTP/1.x response (bad status line)");
        return -1;
    }
    *status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (*status < 100 || *status > 599) {
        dp_err_set(err, "the answer has an impossible HTTP status %d", *status);
        return -1;
    }
    return 0;
}

/* Case-insensitive: does the header line "name: value" have this name? Sets value and its length.
 */
static int header_is(const char *s, size_t n, const char *name, const char **value, size_t *vlen)
{
    size_t nl = strlen(name);
    if (n <= nl || s[nl] != ':' || strncasecmp(s, name, nl) != 0)
        return 0;
    const char *v = s + nl + 1, *e = s + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *value = v;
    *vlen = (size_t)(e - v);
    return 1;
}

static int parse_length(const char *v, size_t n, size_t *out, struct dp_err *err)
{
    size_t x = 0;
    if (n == 0)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i]))
            goto bad;
        x = x * 10 + (size_t)(v[i] - '0');
        if (x > HTTP_MAX_BODY) {
            dp_err_set(err, "the answer's body is larger than the %d MiB this client accepts",
                       HTTP_MAX_BODY / (1024 * 1024));
            return -1;
        }
    }
    *out = x;
    return 0;
bad:
    dp_err_set(err, "the answer has a malformed Content-Length");
    return -1;
}

/* Parses the status line and headers of one response at buf[0..len). */
static int parse_head(const char *buf, size_t len, int eof, struct head *h, struct dp_err *err)
{
    size_t n, pos = 0;
    long end = line_end(buf, len, 0, &n);
    int have_length = 0, chunked = 0;
    memset(h, 0, sizeof *h);
    if (end < 0)
        goto incomplete;
    if (parse_status_line(buf, n, &h->status, err) != 0)
        return HTTP_PARSE_ERROR;
    pos = (size_t)end + 1;
    for (int count = 0;; count++) {
        end = line_end(buf, len, pos, &n);
        if (end < 0)
            goto incomplete;
        const char *s = buf + pos;
        pos = (size_t)end + 1;
        if (pos > HTTP_MAX_HEAD)
            goto too_long;
        if (n == 0)
            break; /* the blank line */
        if (count >= HTTP_MAX_HEADERS) {
            dp_err_set(err, "the answer has more than %d header lines", HTTP_MAX_HEADERS);
            return HTTP_PARSE_ERROR;
        }
        const char *colon = memchr(s, ':', n);
        if (!colon || colon == s || s[0] == ' ' || s[0] == '\t') {
            /* Folded (obsolete) or nameless lines are how smuggling starts; refuse them. */
            dp_err_set(err, "the answer has a malformed header line");
            return HTTP_PARSE_ERROR;
        }
        const char *v;
        size_t vn;
        if (header_is(s, n, "Content-Length", &v, &vn)) {
            size_t cl;
            if (parse_length(v, vn, &cl, err) != 0)
                return HTTP_PARSE_ERROR;
            if (have_length && cl != h->content_length) {
                dp_err_set(err, "the answer has two different Content-Length headers");
                return HTTP_PARSE_ERROR;
            }
            have_length = 1;
            h->content_length = cl;
        } else if (header_is(s, n, "Transfer-Encoding", &v, &vn)) {
            if (vn != 7 || strncasecmp(v, "chunked", 7) != 0) {
                dp_err_set(err, "the answer uses a transfer encoding this client does not "
                                "support (only chunked)");
                return HTTP_PARSE_ERROR;
            }
            chunked = 1;
        }
    }
    h->len = pos;
    if ((h->status >= 100 && h->status < 200) || h->status == 204 || h->status == 304)
        h->framing = FRAME_NONE;
    else if (chunked) /* RFC 9112 6.3: Transfer-Encoding overrides Content-Length */
        h->framing = FRAME_CHUNKED;
    else if (have_length)
        h->framing = FRAME_LENGTH;
    else
        h->framing = FRAME_EOF;
    return HTTP_PARSE_DONE;

incomplete:
    if (len > HTTP_MAX_HEAD)
        goto too_long;
    if (eof) {
        dp_err_set(err, "the connection closed before the end of the answer's headers");
        return HTTP_PARSE_ERROR;
    }
    return HTTP_PARSE_MORE;
too_long:
    dp_err_set(err, "the answer's headers are longer than %d KiB", HTTP_MAX_HEAD / 1024);
    return HTTP_PARSE_ERROR;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Walks a chunked body at buf[0..len). With out == NULL it only measures: *decoded gets the
 * body size and *used the bytes taken (trailers included). With out it copies the data.
 */
static int scan_chunked(const char *buf, size_t len, int eof, char *out, size_t *decoded,
                        size_t *used, struct dp_err *err)
{
    size_t pos = 0, total = 0, n;
    for (;;) {
        long end = line_end(buf, len, pos, &n);
        if (end < 0) {
            if (len - pos > 1024) {
                dp_err_set(err, "the answer has a chunk-size line longer than 1 KiB");
                return HTTP_PARSE_ERROR;
            }
            goto incomplete;
        }
        const char *s = buf + pos;
        size_t size = 0, i = 0;
        for (; i < n && hexval(s[i]) >= 0; i++) {
            size = size * 16 + (size_t)hexval(s[i]);
            if (size > HTTP_MAX_BODY)
                goto too_big;
        }
        /* Digits, optional blanks, then the end or a ";extension" we ignore. */
        size_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (i == 0 || (j < n && s[j] != ';')) {
            dp_err_set(err, "the answer has a malformed chunk size");
            return HTTP_PARSE_ERROR;
        }
        pos = (size_t)end + 1;
        if (size == 0)
            break;
        if (total + size > HTTP_MAX_BODY)
            goto too_big;
        if (len - pos < size + 1)
            goto incomplete;
        if (out)
            memcpy(out + total, buf + pos, size);
        total += size;
        pos += size;
        /* The data ends with CRLF (or a bare LF). */
        if (buf[pos] == '\r') {
            if (len - pos < 2)
                goto incomplete;
            pos++;
        }
        if (buf[pos] != '\n') {
            dp_err_set(err, "the answer has a chunk longer than its declared size");
            return HTTP_PARSE_ERROR;
        }
        pos++;
    }
    /* Trailer fields until a blank line; their content is not used. */
    for (int count = 0;; count++) {
        long end = line_end(buf, len, pos, &n);
        if (end < 0)
            goto incomplete;
        pos = (size_t)end + 1;
        if (n == 0)
            break;
        if (count >= HTTP_MAX_HEADERS) {
            dp_err_set(err, "the answer has more than %d trailer lines", HTTP_MAX_HEADERS);
            return HTTP_PARSE_ERROR;
        }
    }
    *decoded = total;
    *used = pos;
    return HTTP_PARSE_DONE;
incomplete:
    if (eof) {
        dp_err_set(err, "the connection closed in the middle of the answer's chunked body");
        return HTTP_PARSE_ERROR;
    }
    return HTTP_PARSE_MORE;
too_big:
    dp_err_set(err, "the answer's body is larger than the %d MiB this client accepts",
               HTTP_MAX_BODY / (1024 * 1024));
    return HTTP_PARSE_ERROR;
}

static int finish(struct http_response *out, int status, const char *data, size_t n,
                  size_t consumed, struct dp_err *err)
{
    out->body = malloc(n + 1);
    if (!out->body) {
        dp_err_set(err, "out of memory for a %zu-byte answer", n);
        return HTTP_PARSE_ERROR;
    }
    if (n)
        memcpy(out->body, data, n);
    out->body[n] = '\0';
    out->body_len = n;
    out->status = status;
    out->consumed = consumed;
    return HTTP_PARSE_DONE;
}

int http_response_parse(const char *buf, size_t len, int eof, struct http_response *out,
                        struct dp_err *err)
{
    struct head h;
    size_t skip = 0;
    memset(out, 0, sizeof *out);
    /* Interim 1xx answers come before the real one; a handful is plenty. */
    for (int interim = 0;; interim++) {
        int rc = parse_head(buf + skip, len - skip, eof, &h, err);
        if (rc != HTTP_PARSE_DONE)
            return rc;
        if (h.status >= 200)
            break;
        if (interim >= 4) {
            dp_err_set(err, "the answer has too many interim (1xx) responses");
            return HTTP_PARSE_ERROR;
        }
        skip += h.len;
    }
    const char *body = buf + skip + h.len;
    size_t avail = len - skip - h.len;
    switch (h.framing) {
    case FRAME_NONE:
        return finish(out, h.status, "", 0, skip + h.len, err);
    case FRAME_LENGTH:
        if (avail >= h.content_length)
            return finish(out, h.status, body, h.content_length, skip + h.len + h.content_length,
                          err);
        if (eof) {
            dp_err_set(err, "the connection closed after %zu of the answer's %zu body bytes", avail,
                       h.content_length);
            return HTTP_PARSE_ERROR;
        }
        return HTTP_PARSE_MORE;
    case FRAME_EOF:
        if (avail > HTTP_MAX_BODY) {
            dp_err_set(err, "the answer's body is larger than the %d MiB this client accepts",
                       HTTP_MAX_BODY / (1024 * 1024));
            return HTTP_PARSE_ERROR;
        }
        if (!eof)
            return HTTP_PARSE_MORE;
        return finish(out, h.status, body, avail, len, err);
    case FRAME_CHUNKED: {
        size_t decoded, used;
        int rc = scan_chunked(body, avail, eof, NULL, &decoded, &used, err);
        if (rc != HTTP_PARSE_DONE)
            return rc;
        out->body = malloc(decoded + 1);
        if (!out->body) {
            dp_err_set(err, "out of memory for a %zu-byte answer", decoded);
            return HTTP_PARSE_ERROR;
        }
        scan_chunked(body, avail, eof, out->body, &decoded, &used, err);
        out->body[decoded] = '\0';
        out->body_len = decoded;
        out->status = h.status;
        out->consumed = skip + h.len + used;
        return HTTP_PARSE_DONE;
    }
    }
    return HTTP_PARSE_ERROR;
}

void http_response_free(struct http_response *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
