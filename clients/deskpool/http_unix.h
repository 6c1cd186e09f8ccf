/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_HTTP_UNIX_H
#define DESKPOOL_CLI_HTTP_UNIX_H

/*
 * The smallest HTTP/1.1 client deskpool needs: one request per connection over a unix
 * socket (deskpoold's admin listener), Content-Length on the way out, Content-Length,
 * chunked or close-delimited bodies on the way back. Everything is bounded: the head, the
 * body, the time. The response parser is a pure function over a buffer (fuzzed).
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

/* What went wrong, so the CLI can tell "no daemon" (exit 3) from a daemon that misbehaves. */
enum http_result {
    HTTP_OK = 0,
    HTTP_UNREACHABLE = -1, /* connect failed, timed out, connection dropped */
    HTTP_BAD_RESPONSE = -2 /* malformed or oversize answer */
};

/* Called about ten times a second while waiting for the daemon (progress display). */
typedef void (*http_tick_fn)(void *arg);

/*
 * Sends req to the HTTP server on the unix socket at socket_path and reads its response,
 * all within timeout_ms. Returns an enum http_result; on HTTP_OK resp is filled.
 */
int http_unix_request(const char *socket_path, const struct http_request *req, int timeout_ms,
                      http_tick_fn tick, void *tick_arg, struct http_response *resp,
                      struct dp_err *err);

#endif
