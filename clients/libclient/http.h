/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLIENT_HTTP_H
#define DESKPOOL_CLIENT_HTTP_H

/*
 * HTTP/1.1 messages as deskpool's programs send and read them, whatever carries them (the
 * admin CLI's unix socket, deskpool-connect's HTTPS): one request per connection,
 * Content-Length on the way out; Content-Length, chunked or close-delimited bodies on the way
 * back. Everything is bounded. The response parser is a pure function over a buffer (fuzzed).
 */
#include <stddef.h>

struct dp_err;

#define HTTP_MAX_HEAD (16 * 1024)        /* status line + headers */
#define HTTP_MAX_HEADERS 100             /* header lines */
#define HTTP_MAX_BODY (8 * 1024 * 1024)  /* decoded body */
#define HTTP_MAX_RAW (2 * HTTP_MAX_BODY) /* bytes on the wire, chunk framing included */

struct http_response {
    int status; /* 100..599 */
    char *body; /* decoded, NUL-terminated, malloc'd (never NULL after DONE) */
    size_t body_len;
    size_t consumed; /* bytes of the input this response used */
};

enum { HTTP_PARSE_ERROR = -1, HTTP_PARSE_MORE = 0, HTTP_PARSE_DONE = 1 };

/*
 * Parses one response from buf[0..len). eof says the peer closed the connection (so a body
 * without framing ends here, and a short one is an error). Returns HTTP_PARSE_DONE (out
 * filled; free with http_response_free), HTTP_PARSE_MORE (read more and call again with the
 * whole buffer) or HTTP_PARSE_ERROR (err says what was wrong). Interim 1xx responses are
 * skipped.
 */
int http_response_parse(const char *buf, size_t len, int eof, struct http_response *out,
                        struct dp_err *err);
void http_response_free(struct http_response *r);

struct http_request {
    const char *method; /* "GET", "POST", ... */
    const char *target; /* "/api/v1/pools" (already escaped) */
    const char *body;   /* may be NULL */
    size_t body_len;
};

/* What went wrong, so a program can tell "no server" from a server that misbehaves. */
enum http_result {
    HTTP_OK = 0,
    HTTP_UNREACHABLE = -1,  /* connect failed, timed out, connection dropped */
    HTTP_BAD_RESPONSE = -2, /* malformed or oversize answer */
    HTTP_UNTRUSTED = -3     /* TLS: the server's certificate is not the one we trust */
};

/* Called about ten times a second while waiting for the server (progress display). */
typedef void (*http_tick_fn)(void *arg);

/*
 * The request line and headers of req in a malloc'd string; *len gets its length. host is the
 * Host header (NULL: "deskpoold", as a unix socket has no host name), bearer the value of
 * "Authorization: Bearer" (NULL: none), agent the User-Agent; Connection: close; a body is
 * JSON. NULL if out of memory or if a value holds CR or LF (header injection). The body is
 * sent after it as is.
 */
char *http_format_head(const struct http_request *req, const char *host, const char *bearer,
                       const char *agent, size_t *len);

#endif
