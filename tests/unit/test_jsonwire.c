/* SPDX-License-Identifier: Apache-2.0 */
/* jsonwire: framing of QMP/QGA byte streams, fed whole and in pieces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonwire.h"

/* A stream as a reader sees it: bytes arrive in chunks, consumed bytes leave the front. */
struct stream {
    struct jsonwire w;
    uint8_t buf[4096];
    size_t len;
    char log[4096]; /* tokens seen, e.g. "M{"a":1}|J|D|" */
};

static void stream_init(struct stream *s, size_t max)
{
    memset(s, 0, sizeof *s);
    jsonwire_init(&s->w, max);
}

/* Appends bytes and takes every token out of the buffer, logging them. */
static void stream_feed(struct stream *s, const void *data, size_t n)
{
    ck_assert_uint_le(s->len + n, sizeof s->buf);
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    for (;;) {
        struct jsonwire_token t;
        jsonwire_next(&s->w, s->buf, s->len, &t);
        ck_assert_uint_le(t.consumed, s->len);
        if (t.kind != JSONWIRE_NEED_MORE)
            ck_assert_uint_ge(t.consumed, 1);
        char *end = s->log + strlen(s->log);
        switch (t.kind) {
        case JSONWIRE_MESSAGE:
            ck_assert_uint_le(t.start + t.len, t.consumed);
            snprintf(end, sizeof s->log - strlen(s->log), "M%.*s|", (int)t.len, s->buf + t.start);
            break;
        case JSONWIRE_DELIM:
            strcat(end, "D|");
            break;
        case JSONWIRE_JUNK:
            strcat(end, "J|");
            break;
        case JSONWIRE_MALFORMED:
            strcat(end, "X|");
            break;
        case JSONWIRE_TOO_LARGE:
            strcat(end, "L|");
            break;
        case JSONWIRE_NEED_MORE:
            break;
        }
        memmove(s->buf, s->buf + t.consumed, s->len - t.consumed);
        s->len -= t.consumed;
        if (t.kind == JSONWIRE_NEED_MORE)
            return;
    }
}

static void feed_str(struct stream *s, const char *str)
{
    stream_feed(s, str, strlen(str));
}

/* Same input one byte at a time must give the same tokens as in one piece. */
static void check_both_ways(const char *input, size_t n, size_t max, const char *expect)
{
    struct stream *whole = calloc(1, sizeof *whole), *bytes = calloc(1, sizeof *bytes);
    stream_init(whole, max);
    stream_init(bytes, max);
    stream_feed(whole, input, n);
    for (size_t i = 0; i < n; i++)
        stream_feed(bytes, input + i, 1);
    ck_assert_str_eq(whole->log, expect);
    /* Junk runs may split differently byte by byte; messages and markers must not. */
    if (!strstr(expect, "J|"))
        ck_assert_str_eq(bytes->log, expect);
    free(whole);
    free(bytes);
}

static const char greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}\r\n";

START_TEST(test_greeting_line)
{
    struct stream s;
    stream_init(&s, 0);
    feed_str(&s, greeting);
    ck_assert_uint_eq(s.len, 0); /* the \r\n went too */
    ck_assert_int_eq(strncmp(s.log, "M{\"QMP\"", 7), 0);
    ck_assert_ptr_nonnull(strstr(s.log, "[\"oob\"]}}|"));
}
END_TEST

START_TEST(test_split_anywhere)
{
    char expect[1024];
    snprintf(expect, sizeof expect, "M%.*s|M{\"return\": {}, \"id\": 1}|",
             (int)strlen(greeting) - 2, greeting);
    char input[1024];
    snprintf(input, sizeof input, "%s{\"return\": {}, \"id\": 1}\r\n", greeting);
    check_both_ways(input, strlen(input), 0, expect);
}
END_TEST

START_TEST(test_strings_hide_brackets)
{
    const char *in = "{\"desc\": \"a } and a { and \\\" and [\\\\\"}\n{\"b\":[1,{\"c\":[]}]}";
    check_both_ways(in, strlen(in), 0,
                    "M{\"desc\": \"a } and a { and \\\" and [\\\\\"}|M{\"b\":[1,{\"c\":[]}]}|");
}
END_TEST

START_TEST(test_qga_delimiter_after_junk)
{
    /*
     * After a reconnect: the tail of an old reply, then 0xFF and the sync reply. A fragment
     * of the tail can frame as a message ("{}"); the QGA client discards all of it anyway.
     */
    const char in[] = "ply\": {}}\n\xff{\"return\": 4242}\n";
    check_both_ways(in, sizeof in - 1, 0, "J|M{}|J|D|M{\"return\": 4242}|");
}
END_TEST

START_TEST(test_delimiter_cuts_message)
{
    const char in[] = "{\"return\": {\"a\xff{\"return\": 7}";
    check_both_ways(in, sizeof in - 1, 0, "X|D|M{\"return\": 7}|");
}
END_TEST

START_TEST(test_too_large)
{
    char in[128];
    memset(in, 0, sizeof in);
    strcpy(in, "{\"return\": \"0123456789012345678901234567890123456789\"}{\"id\":1}");
    struct stream s;
    stream_init(&s, 32);
    feed_str(&s, in);
    ck_assert_int_eq(strncmp(s.log, "L|", 2), 0);
    /* A message of exactly max_len bytes is fine. */
    stream_init(&s, 8);
    feed_str(&s, "{\"a\":12}");
    ck_assert_str_eq(s.log, "M{\"a\":12}|");
    stream_init(&s, 8);
    feed_str(&s, "{\"a\":123}");
    ck_assert_int_eq(strncmp(s.log, "L|", 2), 0);
}
END_TEST

START_TEST(test_too_large_reported_before_the_end)
{
    /* An endless message must be refused once max_len bytes are in, not buffered forever. */
    struct stream s;
    stream_init(&s, 64);
    feed_str(&s, "{\"return\": \"");
    for (int i = 0; i < 10 && !strstr(s.log, "L|"); i++)
        feed_str(&s, "0123456789");
    /* What follows the cut is junk to a scanner that starts over. */
    ck_assert_str_eq(s.log, "L|J|");
}
END_TEST

START_TEST(test_malformed)
{
    check_both_ways("{\"a\":[1}", 8, 0, "X|J|");
    check_both_ways("{\"a\":\"line\ncut\"}", 16, 0, "X|J|");
    check_both_ways("{\"a\":\x01}", 7, 0, "X|J|");
}
END_TEST

START_TEST(test_depth_limit)
{
    char in[200] = "{\"a\":";
    size_t n = strlen(in);
    for (int i = 0; i < JSONWIRE_MAX_DEPTH; i++)
        in[n++] = '[';
    struct stream s;
    stream_init(&s, 0);
    stream_feed(&s, in, n);
    ck_assert_str_eq(s.log, "X|J|");
    /* One less is fine. */
    char ok[300];
    n = 0;
    ok[n++] = '{';
    ok[n++] = '"';
    ok[n++] = 'a';
    ok[n++] = '"';
    ok[n++] = ':';
    for (int i = 0; i < JSONWIRE_MAX_DEPTH - 1; i++)
        ok[n++] = '[';
    for (int i = 0; i < JSONWIRE_MAX_DEPTH - 1; i++)
        ok[n++] = ']';
    ok[n++] = '}';
    stream_init(&s, 0);
    stream_feed(&s, ok, n);
    ck_assert_int_eq(s.log[0], 'M');
}
END_TEST

START_TEST(test_top_level_non_object_is_junk)
{
    check_both_ways("[1,2]\n{\"x\":1}", 13, 0, "J|M{\"x\":1}|");
    check_both_ways("hello", 5, 0, "J|");
}
END_TEST

START_TEST(test_whitespace_only)
{
    struct stream s;
    stream_init(&s, 0);
    feed_str(&s, " \r\n\t ");
    ck_assert_str_eq(s.log, "");
    ck_assert_uint_eq(s.len, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonwire");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_greeting_line);
    tcase_add_test(tc, test_split_anywhere);
    tcase_add_test(tc, test_strings_hide_brackets);
    tcase_add_test(tc, test_qga_delimiter_after_junk);
    tcase_add_test(tc, test_delimiter_cuts_message);
    tcase_add_test(tc, test_too_large);
    tcase_add_test(tc, test_too_large_reported_before_the_end);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_top_level_non_object_is_junk);
    tcase_add_test(tc, test_whitespace_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
