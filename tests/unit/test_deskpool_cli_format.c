/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool's output: aligned tables, JSON values as cells, objects as key/value lines, the
 * API's error messages; and passwords read from a pipe. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_api.h"
#include "cli_password.h"
#include "cli_render.h"
#include "cli_table.h"
#include "err.h"

/* Runs fn(f, arg) into a memory stream and returns what it wrote (malloc'd). */
static char *capture(void (*fn)(FILE *, void *), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void print_table(FILE *f, void *arg)
{
    table_print(arg, f);
}

START_TEST(table_alignment)
{
    const char *h[] = {"NAME", ">PORT", "STATE"};
    const char *r1[] = {"lab-001", "40001", "ready"};
    const char *r2[] = {"désk", "5", NULL};
    const char *r3[] = {"x\ty", "123", "in_use"};
    struct table t;
    ck_assert_int_eq(table_init(&t, h, 3), 0);
    table_add(&t, r1);
    table_add(&t, r2);
    table_add(&t, r3);
    char *out = capture(print_table, &t);
    /* Columns line up by characters (é is one), numbers right-aligned, no trailing blanks,
     * missing cells as "-", tabs cannot break the layout. */
    ck_assert_str_eq(out, "NAME      PORT  STATE\n"
                          "lab-001  40001  ready\n"
                          "désk         5  -\n"
                          "x y        123  in_use\n");
    free(out);
    table_free(&t);
    ck_assert_uint_eq(table_width("désk"), 4);
    ck_assert_int_eq(table_init(&t, h, 0), -1);
}
END_TEST

START_TEST(values)
{
    char b[128];
    json_t *j = json_loads("{\"s\":\"x\",\"i\":42,\"t\":true,\"f\":false,\"n\":null,\"e\":\"\","
                           "\"a\":[\"g1\",\"g2\"],\"ea\":[],\"o\":{\"k\":1},\"r\":1.5}",
                           0, NULL);
    struct {
        const char *key;
        enum render_kind kind;
        const char *want;
    } cases[] = {
        {"s", R_TEXT, "x"},       {"i", R_TEXT, "42"},    {"t", R_TEXT, "yes"},
        {"f", R_TEXT, "no"},      {"n", R_TEXT, "-"},     {"e", R_TEXT, "-"},
        {"missing", R_TEXT, "-"}, {"a", R_LIST, "g1,g2"}, {"ea", R_LIST, "-"},
        {"o", R_TEXT, "{...}"},   {"r", R_TEXT, "1.5"},   {"i", R_DURATION, "42s"},
        {"n", R_TIME, "-"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        render_value(json_object_get(j, cases[i].key), cases[i].kind, b, sizeof b);
        ck_assert_msg(strcmp(b, cases[i].want) == 0, "%s: got %s", cases[i].key, b);
    }
    json_t *d = json_integer(3725);
    render_value(d, R_DURATION, b, sizeof b);
    ck_assert_str_eq(b, "1h02m");
    json_integer_set(d, 125);
    render_value(d, R_DURATION, b, sizeof b);
    ck_assert_str_eq(b, "2m05s");
    json_integer_set(d, 90000);
    render_value(d, R_DURATION, b, sizeof b);
    ck_assert_str_eq(b, "1d01h");
    json_integer_set(d, 1700000000);
    render_value(d, R_TIME, b, sizeof b);
    ck_assert_str_eq(b, "2023-11-14 22:13:20"); /* TZ=UTC, set in main */
    json_integer_set(d, 0);
    render_value(d, R_TIME, b, sizeof b);
    ck_assert_str_eq(b, "-");
    json_decref(d);
    ck_assert_int_eq(json_integer_value(render_get(j, "o.k")), 1);
    ck_assert_ptr_null(render_get(j, "o.k.z"));
    ck_assert_ptr_null(render_get(j, "nope.k"));
    json_decref(j);
}
END_TEST

struct list_arg {
    json_t *items;
    const char *empty;
};

static void print_list(FILE *f, void *arg)
{
    struct list_arg *a = arg;
    static const struct render_col cols[] = {
        {"NAME", "name", R_TEXT},
        {">READY", "counts.spare_ready", R_TEXT},
        {"GROUPS", "groups", R_LIST},
    };
    render_table(f, a->items, cols, 3, a->empty);
}

START_TEST(json_to_table)
{
    struct list_arg a = {json_loads("[{\"name\":\"lab\",\"counts\":{\"spare_ready\":2},"
                                    "\"groups\":[\"staff\",\"lab\"]},{\"name\":\"desk\"}]",
                                    0, NULL),
                         "none"};
    char *out = capture(print_list, &a);
    ck_assert_str_eq(out, "NAME  READY  GROUPS\n"
                          "lab       2  staff,lab\n"
                          "desk      -  -\n");
    free(out);
    json_decref(a.items);
    /* Nothing to list: the hint, not an empty header. */
    a.items = json_array();
    out = capture(print_list, &a);
    ck_assert_str_eq(out, "none\n");
    free(out);
    json_decref(a.items);
}
END_TEST

static void print_object(FILE *f, void *arg)
{
    render_object(f, arg);
}

START_TEST(json_to_key_values)
{
    json_t *p = json_loads("{\"name\":\"lab\",\"paused\":false,\"created\":1700000000,"
                           "\"disconnect_timeout_s\":900,\"counts\":{\"ready\":2,\"in_use\":1},"
                           "\"vms\":[{\"name\":\"lab-001\"}],\"tags\":[\"a\",\"b\"]}",
                           0, NULL);
    char *out = capture(print_object, p);
    ck_assert_str_eq(out, "name:                  lab\n"
                          "paused:                no\n"
                          "created:               2023-11-14 22:13:20\n"
                          "disconnect_timeout_s:  15m00s\n"
                          "counts.ready:          2\n"
                          "counts.in_use:         1\n"
                          "tags:                  a,b\n");
    free(out);
    json_decref(p);
}
END_TEST

START_TEST(api_error_text)
{
    char b[256];
    const char *e = "{\"error\":{\"code\":\"conflict\",\"message\":\"pool \\\"lab\\\" exists; "
                    "choose another name or: deskpool pool delete lab\"}}";
    cli_api_error_text(409, e, strlen(e), b, sizeof b);
    ck_assert_str_eq(b, "pool \"lab\" exists; choose another name or: deskpool pool delete lab");
    cli_api_error_text(500, "<html>oops</html>", 17, b, sizeof b);
    ck_assert_str_eq(b, "deskpoold answered HTTP 500 without an error message; see its log");
    cli_api_error_text(404, "", 0, b, sizeof b);
    ck_assert_ptr_nonnull(strstr(b, "HTTP 404"));
    cli_api_error_text(400, "{\"error\":{\"message\":\"\"}}", 24, b, sizeof b);
    ck_assert_ptr_nonnull(strstr(b, "HTTP 400"));
}
END_TEST

START_TEST(paths)
{
    char b[64];
    ck_assert_int_eq(cli_path(b, sizeof b, "/pools/%s/recompose", "lab 1/../x?y"), 0);
    ck_assert_str_eq(b, "/pools/lab%201%2F..%2Fx%3Fy/recompose");
    ck_assert_int_eq(cli_path(b, sizeof b, "/groups/%s/members/%s", "ops", "é"), 0);
    ck_assert_str_eq(b, "/groups/ops/members/%C3%A9");
    ck_assert_int_eq(cli_path(b, 16, "/users/%s", "a-very-long-name"), -1);
}
END_TEST

static int pw_from(const char *input, char *buf, size_t cap, struct dp_err *err)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], input, strlen(input)), (ssize_t)strlen(input));
    close(p[1]);
    dp_err_clear(err);
    int rc = cli_password_read(p[0], stderr, "alice", buf, cap, err);
    close(p[0]);
    return rc;
}

START_TEST(passwords_from_stdin)
{
    char pw[CLI_PASSWORD_MAX];
    struct dp_err err = {0};
    ck_assert_int_eq(pw_from("S3cret pass\nsecond line\n", pw, sizeof pw, &err), 0);
    ck_assert_str_eq(pw, "S3cret pass");
    ck_assert_int_eq(pw_from("dos\r\n", pw, sizeof pw, &err), 0);
    ck_assert_str_eq(pw, "dos");
    ck_assert_int_eq(pw_from("no newline", pw, sizeof pw, &err), 0);
    ck_assert_str_eq(pw, "no newline");
    ck_assert_int_eq(pw_from("\n", pw, sizeof pw, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no password given"));
    ck_assert_int_eq(pw_from("", pw, sizeof pw, &err), -1);
    ck_assert_int_eq(pw_from("0123456789", pw, 8, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "longer than 7 bytes"));
}
END_TEST

int main(void)
{
    setenv("TZ", "UTC", 1);
    Suite *s = suite_create("deskpool_cli_format");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, table_alignment);
    tcase_add_test(tc, values);
    tcase_add_test(tc, json_to_table);
    tcase_add_test(tc, json_to_key_values);
    tcase_add_test(tc, api_error_text);
    tcase_add_test(tc, paths);
    tcase_add_test(tc, passwords_from_stdin);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
