/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-add-entropy through guestd's protocol core: the host's bytes reach the kernel
 * (a recording stub here) exactly, too few or too many or non-base64 are refused with a
 * message and reach nothing, and a guest without the kernel hook says so.
 */
#include "b64.h"
#include "err.h"
#include "guestd.h"
#include "qga_proto.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    uint8_t buf[GUESTD_ENTROPY_MAX];
    size_t n;
    int calls;
};

static int rec_add_entropy(void *opaque, const uint8_t *buf, size_t n, struct dp_err *err)
{
    (void)err;
    struct rec *r = opaque;
    memcpy(r->buf, buf, n);
    r->n = n;
    r->calls++;
    return 0;
}

static struct rec rec;

/* Sends one command with a "data" argument; returns the reply object (caller decrefs). */
static json_t *call(struct guestd_ctx *ctx, const char *data)
{
    struct qga_conn conn;
    struct qga_out out = {0};
    qga_conn_init(&conn, ctx);
    json_t *req =
        json_pack("{s:s,s:{s:s}}", "execute", "deskpool-add-entropy", "arguments", "data", data);
    char *line = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t len = strlen(line);
    ck_assert_int_eq(qga_feed(&conn, (const uint8_t *)line, len, &out), 0);
    ck_assert_int_eq(qga_feed(&conn, (const uint8_t *)"\n", 1, &out), 0);
    free(line);
    json_error_t jerr;
    json_t *reply = json_loadb((const char *)out.data, out.len, 0, &jerr);
    ck_assert_msg(reply != NULL, "reply is not JSON: %s", jerr.text);
    qga_out_free(&out);
    return reply;
}

static struct guestd_ctx ctx_with(int (*hook)(void *, const uint8_t *, size_t, struct dp_err *))
{
    struct guestd_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memset(&rec, 0, sizeof rec);
    ctx.sys.add_entropy = hook;
    ctx.sys.opaque = &rec;
    return ctx;
}

START_TEST(bytes_reach_the_kernel_exactly)
{
    struct guestd_ctx ctx = ctx_with(rec_add_entropy);
    uint8_t seed[64];
    char b64[100];
    for (int i = 0; i < 64; i++)
        seed[i] = (uint8_t)(255 - i * 3);
    dp_b64_encode(seed, sizeof seed, b64, 1);
    json_t *r = call(&ctx, b64);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "return"), "bytes")),
                     64);
    ck_assert_int_eq(rec.calls, 1);
    ck_assert_uint_eq(rec.n, 64);
    ck_assert(memcmp(rec.buf, seed, 64) == 0);
    json_decref(r);
}
END_TEST

START_TEST(bad_data_is_refused_and_reaches_nothing)
{
    struct guestd_ctx ctx = ctx_with(rec_add_entropy);
    char big[1000];
    uint8_t raw[600] = {0};
    dp_b64_encode(raw, sizeof raw, big, 1);
    const char *bad[] = {"", "c2hvcnQ=" /* 5 bytes */, "not base64!", big};
    for (int i = 0; i < 4; i++) {
        json_t *r = call(&ctx, bad[i]);
        const char *desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
        ck_assert_msg(desc && strstr(desc, "base64 of 16 to 512"), "case %d: %s", i,
                      desc ? desc : "(no error)");
        json_decref(r);
    }
    ck_assert_int_eq(rec.calls, 0);
}
END_TEST

START_TEST(a_guest_without_the_hook_says_so)
{
    struct guestd_ctx ctx = ctx_with(NULL);
    json_t *r = call(&ctx, "AAAAAAAAAAAAAAAAAAAAAA==");
    const char *desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
    ck_assert_msg(desc && strstr(desc, "not supported"), "%s", desc ? desc : "(no error)");
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guestd_entropy");
    TCase *tc = tcase_create("entropy");
    tcase_add_test(tc, bytes_reach_the_kernel_exactly);
    tcase_add_test(tc, bad_data_is_refused_and_reaches_nothing);
    tcase_add_test(tc, a_guest_without_the_hook_says_so);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
