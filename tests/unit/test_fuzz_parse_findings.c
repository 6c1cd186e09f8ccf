/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the config and body fuzz targets (fuzz/fuzz_api_body.c, fuzz_sam.c,
 * fuzz_connect_config.c, fuzz_template_meta.c) found, each kept as the case a user or admin
 * would have hit.
 */
#include "api_json.h"
#include "connect.h"
#include "err.h"
#include "sam.h"
#include "store.h"
#include "store/passwd_hash.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A body with a broken UTF-8 sequence: the 400 must come with a message the reply can carry
 * (the JSON encoder refuses non-UTF-8, and the client then got an error without a word). */
START_TEST(api_body_error_message_is_utf8)
{
    const char body[] = "{\"display_name\":\"\\u0\xcc\x9a"
                        "9l\"}";
    char msg[512];
    json_t *obj = NULL;
    ck_assert_int_eq(api_json_body(body, sizeof body - 1, &obj, msg, sizeof msg), 400);
    ck_assert_ptr_null(obj);
    json_t *s = json_string(msg);
    ck_assert_msg(s != NULL, "message is not UTF-8: %s", msg);
    json_decref(s);
    ck_assert_ptr_nonnull(strstr(msg, "not valid JSON"));
}
END_TEST

/* An unknown field name cut in the middle of a multibyte character by the message buffer. */
START_TEST(api_unknown_field_cut_message_is_utf8)
{
    char key[700];
    size_t n = 0;
    while (n + 2 < 600) {
        key[n++] = (char)0xc3;
        key[n++] = (char)0xa9; /* é */
    }
    key[n] = '\0';
    json_t *obj = json_object();
    json_object_set_new(obj, key, json_true());
    char msg[101];
    ck_assert_int_eq(api_json_fields(obj, NULL, 0, msg, sizeof msg), 400);
    json_t *s = json_string(msg);
    ck_assert_msg(s != NULL, "message is not UTF-8");
    json_decref(s);
    json_decref(obj);
}
END_TEST

/* A SAM file with CR CR LF line ends: the guest agent's rewrite must be stable (it dropped
 * one CR per rewrite, so every password change rewrote other users' lines differently). */
START_TEST(sam_rewrite_is_stable_with_crcr_lines)
{
    const char old[] = "# admin's note\r\r\nbob:::0123456789abcdef0123456789abcdef:::\r\r\n";
    const uint8_t h[16] = {1};
    size_t n1, n2;
    int d1, d2;
    char *a = sam_replace_user(old, sizeof old - 1, "alice", h, &n1, &d1);
    char *b = sam_replace_user(a, n1, "alice", h, &n2, &d2);
    ck_assert_int_eq(d1, 0);
    ck_assert_int_eq(d2, 0);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(a, b, n1), 0);
    ck_assert_ptr_null(memchr(a, '\r', n1));
    free(a);
    free(b);
}
END_TEST

/* "broker = [[]" was accepted and saved as https://[[]:8443, which the next run refused:
 * deskpool-connect then would not start until the user deleted its file. */
START_TEST(connect_config_refuses_brackets_in_host)
{
    struct conn_config c;
    char msg[256];
    ck_assert_int_eq(conn_config_parse("broker = [[]\n", &c, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "line 1"));
    struct broker_addr a;
    ck_assert_int_eq(broker_addr_parse("https://a]b:8443", &a, msg, sizeof msg), -1);
    ck_assert_int_eq(broker_addr_parse("https://[::1]:8443", &a, msg, sizeof msg), 0);
    ck_assert_str_eq(a.canon, "https://[::1]:8443");
}
END_TEST

/* meta.json naming a kernel outside the version folder, or absurd sizes, is refused. */
START_TEST(template_meta_refuses_escape_and_bad_values)
{
    struct tpl_version v;
    struct dp_err err = {0};
    char text[512];
    const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    snprintf(text, sizeof text, "{\"name\":\"tiny\",\"sha256\":\"%s\",\"kernel\":\"vmlinuz\"}",
             sha);
    ck_assert_int_eq(store_meta_parse(text, strlen(text), "/t/tiny/1", &v, &err), 0);
    ck_assert_str_eq(v.kernel, "/t/tiny/1/vmlinuz");
    snprintf(text, sizeof text,
             "{\"name\":\"tiny\",\"sha256\":\"%s\",\"kernel\":\"../../../boot/vmlinuz\"}", sha);
    ck_assert_int_eq(store_meta_parse(text, strlen(text), "/t/tiny/1", &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/t/tiny/1/meta.json"));
    snprintf(text, sizeof text, "{\"name\":\"tiny\",\"sha256\":\"%s\",\"memory_mb\":-5}", sha);
    ck_assert_int_eq(store_meta_parse(text, strlen(text), "/t/tiny/1", &v, &err), -1);
    snprintf(text, sizeof text, "{\"name\":\"../x\",\"sha256\":\"%s\"}", sha);
    ck_assert_int_eq(store_meta_parse(text, strlen(text), "/t/tiny/1", &v, &err), -1);
    ck_assert_int_eq(store_meta_parse("[1,2", 4, "/t/tiny/1", &v, &err), -1);
}
END_TEST

/* The largest PHC string the parser accepts (ln=18, r=32, p=16: 1 GiB; 64-byte salt and key) did
 * not fit PASSWD_HASH_MAX: such a stored hash could not be read back, so its user could never log
 * in (found by fuzz_phc). */
START_TEST(phc_largest_accepted_fits_the_buffer)
{
    struct phc_scrypt h = {.ln = 18, .r = 32, .p = 16, .salt_len = 64, .hash_len = 64};
    memset(h.salt, 0xab, sizeof h.salt);
    memset(h.hash, 0xcd, sizeof h.hash);
    char out[PASSWD_HASH_MAX];
    ck_assert_int_eq(phc_scrypt_format(&h, out, sizeof out), 0);
    struct phc_scrypt again;
    ck_assert_int_eq(phc_scrypt_parse(out, strlen(out), &again), 0);
    ck_assert_int_eq(again.ln, 18);
    ck_assert_int_eq(again.r, 32);
    ck_assert_int_eq(again.p, 16);
    ck_assert_uint_eq(again.salt_len, 64);
    ck_assert_uint_eq(again.hash_len, 64);
    ck_assert_int_eq(memcmp(again.salt, h.salt, 64), 0);
    ck_assert_int_eq(memcmp(again.hash, h.hash, 64), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_parse_findings");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, api_body_error_message_is_utf8);
    tcase_add_test(tc, api_unknown_field_cut_message_is_utf8);
    tcase_add_test(tc, sam_rewrite_is_stable_with_crcr_lines);
    tcase_add_test(tc, connect_config_refuses_brackets_in_host);
    tcase_add_test(tc, template_meta_refuses_escape_and_bad_values);
    tcase_add_test(tc, phc_largest_accepted_fits_the_buffer);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
