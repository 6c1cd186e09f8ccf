/* SPDX-License-Identifier: Apache-2.0 */
/* Request bodies: the size limit, one JSON object, and declared fields only, each refusal
 * naming the field. */
#include "api_json.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char msg[1024];

static int body(const char *text, json_t **out)
{
    msg[0] = '\0';
    return api_json_body(text, strlen(text), out, msg, sizeof msg);
}

START_TEST(empty_body_is_an_empty_object)
{
    json_t *j;
    ck_assert_int_eq(body("", &j), 0);
    ck_assert(json_is_object(j) && json_object_size(j) == 0);
    json_decref(j);
}
END_TEST

START_TEST(oversize_is_413_at_one_byte_over)
{
    char *big = malloc(API_BODY_MAX + 1);
    memset(big, ' ', API_BODY_MAX + 1);
    memcpy(big, "{}", 2);
    json_t *j;
    ck_assert_int_eq(api_json_body(big, API_BODY_MAX + 1, &j, msg, sizeof msg), 413);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(msg, "65536"), "%s", msg);
    ck_assert_int_eq(api_json_body(big, API_BODY_MAX, &j, msg, sizeof msg), 0);
    json_decref(j);
    free(big);
}
END_TEST

START_TEST(malformed_and_non_objects_are_400)
{
    json_t *j;
    ck_assert_int_eq(body("{\"name\": ", &j), 400);
    ck_assert_msg(strstr(msg, "not valid JSON") && strstr(msg, "column"), "%s", msg);
    ck_assert_int_eq(body("[1,2]", &j), 400);
    ck_assert_msg(strstr(msg, "JSON object"), "%s", msg);
    ck_assert_int_eq(body("\"x\"", &j), 400);
    ck_assert_int_eq(body("{\"a\":1,\"a\":2}", &j), 400);
    ck_assert_int_eq(body("{} {}", &j), 400);
}
END_TEST

struct fields {
    char name[8];
    int max;
    int on;
    struct api_field f[3];
};

static void fields_init(struct fields *x)
{
    memset(x, 0, sizeof *x);
    strcpy(x->name, "dflt");
    x->max = 7;
    x->on = 1;
    struct api_field f[] = {
        API_STR("name", 1, x->name),
        API_INT("max", 0, &x->max, 0, 100),
        API_BOOL("on", 0, &x->on),
    };
    memcpy(x->f, f, sizeof f);
}

static int check(struct fields *x, const char *text)
{
    json_t *j;
    ck_assert_int_eq(body(text, &j), 0);
    int rc = api_json_fields(j, x->f, 3, msg, sizeof msg);
    json_decref(j);
    return rc;
}

START_TEST(good_fields_are_written_and_flagged)
{
    struct fields x;
    fields_init(&x);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"on\":false}"), 0);
    ck_assert_str_eq(x.name, "lab");
    ck_assert_int_eq(x.on, 0);
    ck_assert_int_eq(x.max, 7); /* absent: the default stays */
    ck_assert_int_eq(x.f[0].present, 1);
    ck_assert_int_eq(x.f[1].present, 0);
}
END_TEST

START_TEST(each_refusal_names_the_field_and_changes_nothing)
{
    struct fields x;
    fields_init(&x);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"mx\":3}"), 400);
    ck_assert_msg(strstr(msg, "\"mx\"") && strstr(msg, "\"max\""), "%s", msg);
    ck_assert_str_eq(x.name, "dflt");
    ck_assert_int_eq(check(&x, "{\"max\":3}"), 400);
    ck_assert_msg(strstr(msg, "\"name\" is missing"), "%s", msg);
    ck_assert_int_eq(check(&x, "{\"name\":\"\"}"), 400);
    ck_assert_msg(strstr(msg, "\"name\" must not be empty"), "%s", msg);
    ck_assert_int_eq(check(&x, "{\"name\":5}"), 400);
    ck_assert_msg(strstr(msg, "\"name\" must be a string"), "%s", msg);
    ck_assert_int_eq(check(&x, "{\"name\":\"eightchr\"}"), 400);
    ck_assert_msg(strstr(msg, "at most 7 bytes"), "%s", msg);
    json_t *nul;
    ck_assert_int_eq(body("{\"name\":\"a\\u0000b\"}", &nul), 400); /* NUL never reaches C */
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"max\":101}"), 400);
    ck_assert_msg(strstr(msg, "\"max\" is 101") && strstr(msg, "0 to 100"), "%s", msg);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"max\":1.5}"), 400);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"max\":\"3\"}"), 400);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"on\":1}"), 400);
    ck_assert_msg(strstr(msg, "\"on\" must be true or false"), "%s", msg);
    ck_assert_int_eq(check(&x, "{\"name\":\"lab\",\"max\":5,\"on\":\"yes\"}"), 400);
    ck_assert_int_eq(x.max, 7); /* a refused body writes no field, not even the good ones */
    ck_assert_str_eq(x.name, "dflt");
}
END_TEST

START_TEST(a_call_without_fields_refuses_any_key)
{
    json_t *j;
    ck_assert_int_eq(body("{\"force\":true}", &j), 0);
    ck_assert_int_eq(api_json_fields(j, NULL, 0, msg, sizeof msg), 400);
    ck_assert_msg(strstr(msg, "takes no body"), "%s", msg);
    json_decref(j);
}
END_TEST

START_TEST(byte_counters_take_64_bits_but_not_negatives)
{
    int64_t in = -1;
    struct api_field f[] = {API_COUNT("bytes_in", 1, &in)};
    json_t *j;
    ck_assert_int_eq(body("{\"bytes_in\":8589934592}", &j), 0);
    ck_assert_int_eq(api_json_fields(j, f, 1, msg, sizeof msg), 0);
    ck_assert(in == 8589934592LL);
    json_decref(j);
    ck_assert_int_eq(body("{\"bytes_in\":-5}", &j), 0);
    ck_assert_int_eq(api_json_fields(j, f, 1, msg, sizeof msg), 400);
    ck_assert_msg(strstr(msg, "\"bytes_in\"") && strstr(msg, "0 or more"), "%s", msg);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_api_json");
    TCase *t = tcase_create("json");
    tcase_add_test(t, empty_body_is_an_empty_object);
    tcase_add_test(t, oversize_is_413_at_one_byte_over);
    tcase_add_test(t, malformed_and_non_objects_are_400);
    tcase_add_test(t, good_fields_are_written_and_flagged);
    tcase_add_test(t, each_refusal_names_the_field_and_changes_nothing);
    tcase_add_test(t, a_call_without_fields_refuses_any_key);
    tcase_add_test(t, byte_counters_take_64_bits_but_not_negatives);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
