/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool's HTTP client: the response parser (framings, pieces, malformed and oversize
 * answers) and the unix-socket transport against a fake server (timeouts, no daemon). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_unix.h"
#include "test_deskpool_cli_fake.h"

static int parse(const char *s, int eof, struct http_response *r, struct dp_err *err)
{
    dp_err_clear(err);
    return http_response_parse(s, strlen(s), eof, r, err);
}

START_TEST(content_length)
{
    const char *s = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    "Content-Length: 11\r\n\r\n{\"a\": true}";
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_int_eq(parse(s, 0, &r, &err), HTTP_PARSE_DONE);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(r.body, "{\"a\": true}");
    ck_assert_uint_eq(r.body_len, 11);
    ck_assert_uint_eq(r.consumed, strlen(s));
    http_response_free(&r);
    /* Every shorter prefix asks for more, never a wrong answer. */
    for (size_t n = 0; n < strlen(s); n++) {
        ck_assert_int_eq(http_response_parse(s, n, 0, &r, &err), HTTP_PARSE_MORE);
        /* ... and a peer closing there is an error, not a truncated success. */
        dp_err_clear(&err);
        ck_assert_int_eq(http_response_parse(s, n, 1, &r, &err), HTTP_PARSE_ERROR);
        ck_assert(err.set);
    }
}
END_TEST

START_TEST(chunked)
{
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "4\r\n{\"it\r\nB;ext=1\r\nems\": [1, 2\r\n2\r\n]}\r\n0\r\nX-Trailer: y\r\n\r\n";
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_int_eq(parse(s, 0, &r, &err), HTTP_PARSE_DONE);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"items\": [1, 2]}");
    ck_assert_uint_eq(r.consumed, strlen(s));
    http_response_free(&r);
    for (size_t n = 0; n < strlen(s); n++)
        ck_assert_int_eq(http_response_parse(s, n, 0, &r, &err), HTTP_PARSE_MORE);
    /* Upper-case hex, bare LF line ends (lenient), Transfer-Encoding beats Content-Length. */
    ck_assert_int_eq(parse("HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: Chunked\n\n"
                           "1A\n01234567890123456789012345\n0\n\n",
                           0, &r, &err),
                     HTTP_PARSE_DONE);
    ck_assert_uint_eq(r.body_len, 26);
    http_response_free(&r);
}
END_TEST

START_TEST(other_framings)
{
    struct http_response r;
    struct dp_err err = {0};
    /* 204 has no body even with nothing else said. */
    ck_assert_int_eq(parse("HTTP/1.1 204 No Content\r\n\r\n", 0, &r, &err), HTTP_PARSE_DONE);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(r.body, "");
    http_response_free(&r);
    /* No framing: the body runs to the close. */
    ck_assert_int_eq(parse("HTTP/1.0 500 Oops\r\n\r\nplain text", 0, &r, &err), HTTP_PARSE_MORE);
    ck_assert_int_eq(parse("HTTP/1.0 500 Oops\r\n\r\nplain text", 1, &r, &err), HTTP_PARSE_DONE);
    ck_assert_str_eq(r.body, "plain text");
    http_response_free(&r);
    /* An interim 100 Continue is skipped. */
    ck_assert_int_eq(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 409 Conflict\r\n"
                           "Content-Length: 2\r\n\r\n{}",
                           0, &r, &err),
                     HTTP_PARSE_DONE);
    ck_assert_int_eq(r.status, 409);
    http_response_free(&r);
    /* A status line without a reason phrase is fine. */
    ck_assert_int_eq(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, &r, &err),
                     HTTP_PARSE_DONE);
    http_response_free(&r);
}
END_TEST

static void bad(const char *s, int eof, const char *why)
{
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_msg(parse(s, eof, &r, &err) == HTTP_PARSE_ERROR, "accepted: %s", s);
    ck_assert_msg(strstr(err.msg, why) != NULL, "\"%s\" lacks \"%s\"", err.msg, why);
}

START_TEST(malformed)
{
    bad("SSH-2.0-OpenSSH\r\n\r\n", 0, "not an HTTP/1.x response");
    bad("HTTP/2 200\r\n\r\n", 0, "not an HTTP/1.x response");
    bad("HTTP/1.1 20x OK\r\n\r\n", 0, "not an HTTP/1.x response");
    bad("HTTP/1.1 099 Low\r\n\r\n", 0, "impossible HTTP status");
    bad("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 0, "malformed header");
    bad("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", 0, "malformed header");
    bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "malformed Content-Length");
    bad("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, "malformed Content-Length");
    bad("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 0,
        "two different Content-Length");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, "transfer encoding");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "malformed chunk size");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\nab\r\n0\r\n\r\n", 0,
        "malformed chunk size");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 0,
        "longer than its declared size");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1, "closed in the middle");
    bad("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1, "after 3 of the answer's 10");
    bad("HTTP/1.1 200 OK\r\nContent-Le", 1, "before the end of the answer's headers");
    bad("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        1, "too many interim");
}
END_TEST

START_TEST(oversize)
{
    /* Declared bodies beyond the limit are refused before any of it arrives. */
    bad("HTTP/1.1 200 OK\r\nContent-Length: 8388609\r\n\r\n", 0, "larger than the 8 MiB");
    bad("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
        "larger than the 8 MiB");
    bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n", 0,
        "larger than the 8 MiB");
    /* Headers without an end. */
    size_t n = HTTP_MAX_HEAD + 100;
    char *big = malloc(n + 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', n - 20);
    big[n] = '\0';
    bad(big, 0, "headers are longer than 16 KiB");
    free(big);
    /* Too many header lines. */
    char many[HTTP_MAX_HEAD];
    size_t k = (size_t)snprintf(many, sizeof many, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        k += (size_t)snprintf(many + k, sizeof many - k, "X-%d: y\r\n", i);
    snprintf(many + k, sizeof many - k, "\r\n");
    bad(many, 0, "more than 100 header lines");
    /* Chunks that add up past the limit. */
    size_t chunk = 1024 * 1024, total = 9 * (chunk + 16) + 200;
    char *c = malloc(total);
    size_t p = (size_t)sprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 9; i++) {
        p += (size_t)sprintf(c + p, "%zx\r\n", chunk);
        memset(c + p, 'x', chunk);
        p += chunk;
        p += (size_t)sprintf(c + p, "\r\n");
    }
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_int_eq(http_response_parse(c, p, 0, &r, &err), HTTP_PARSE_ERROR);
    ck_assert_ptr_nonnull(strstr(err.msg, "larger than the 8 MiB"));
    free(c);
}
END_TEST

static int request(const char *method, const char *body, int timeout_ms, struct http_response *r,
                   struct dp_err *err)
{
    struct http_request req = {method, "/api/v1/pools", body, body ? strlen(body) : 0};
    dp_err_clear(err);
    return http_unix_request(fake_sock, &req, timeout_ms, NULL, NULL, r, err);
}

START_TEST(transport_pieces)
{
    /* A chunked answer that arrives in pieces, split inside the framing. */
    const char *replies[] = {
        "HTTP/1.1 200 OK\r\nTransfer-\x01"
        "Encoding: chunked\r\n\r\n7\r\n{\"a\"\x01:1}\r\n\x01"
        "0\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\n",
    };
    fake_start(replies, 2);
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_int_eq(request("GET", NULL, 5000, &r, &err), HTTP_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"a\":1}");
    http_response_free(&r);
    ck_assert_int_eq(request("POST", "{\"name\":\"lab\"}", 5000, &r, &err), HTTP_OK);
    ck_assert_int_eq(r.status, 204);
    http_response_free(&r);
    char *log = fake_requests();
    ck_assert_ptr_nonnull(strstr(log, "GET /api/v1/pools\n"));
    ck_assert_ptr_nonnull(strstr(log, "POST /api/v1/pools\n{\"name\":\"lab\"}"));
    free(log);
    fake_stop();
}
END_TEST

START_TEST(transport_failures)
{
    const char *replies[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\x02hello", /* too slow */
        "",                                                      /* hangs up */
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",       /* short */
        "garbage\r\n\r\n",
    };
    fake_start(replies, 4);
    struct http_response r;
    struct dp_err err = {0};
    ck_assert_int_eq(request("GET", NULL, 500, &r, &err), HTTP_UNREACHABLE);
    ck_assert_msg(strstr(err.msg, "did not answer within 1 s") != NULL, "%s", err.msg);
    ck_assert_int_eq(request("GET", NULL, 5000, &r, &err), HTTP_UNREACHABLE);
    ck_assert_msg(strstr(err.msg, "closed the connection without answering") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(request("GET", NULL, 5000, &r, &err), HTTP_BAD_RESPONSE);
    ck_assert_msg(strstr(err.msg, "after 3 of the answer's 5 body bytes") != NULL, "%s", err.msg);
    ck_assert_int_eq(request("GET", NULL, 5000, &r, &err), HTTP_BAD_RESPONSE);
    ck_assert_msg(strstr(err.msg, "not an HTTP/1.x response") != NULL, "%s", err.msg);
    fake_stop();

    /* No daemon: the message says where, why and what to do. */
    struct http_request req = {"GET", "/api/v1/status", NULL, 0};
    dp_err_clear(&err);
    ck_assert_int_eq(
        http_unix_request("/tmp/dp-no-such-dir/d.sock", &req, 1000, NULL, NULL, &r, &err),
        HTTP_UNREACHABLE);
    ck_assert_str_eq(err.msg, "cannot reach deskpoold at /tmp/dp-no-such-dir/d.sock: No such "
                              "file or directory; is it running? (start it: deskpoold)");
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    dp_err_clear(&err);
    ck_assert_int_eq(http_unix_request(longpath, &req, 1000, NULL, NULL, &r, &err),
                     HTTP_UNREACHABLE);
    ck_assert_ptr_nonnull(strstr(err.msg, "use a shorter --socket path"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deskpool_cli_http");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, chunked);
    tcase_add_test(tc, other_framings);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, oversize);
    tcase_add_test(tc, transport_pieces);
    tcase_add_test(tc, transport_failures);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
