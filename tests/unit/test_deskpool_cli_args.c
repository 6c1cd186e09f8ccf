/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool's command lines: every command is found by its words and parses its options;
 * usage errors are refused before anything is sent; pool options become the API's fields. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pool_fields.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Finds the command argv names and parses the rest; returns cli_args_parse's result. */
static int parse(int argc, char **argv, const struct cli_cmd **cmd, struct cli_args *a, int *json,
                 char *msg)
{
    int words = 0;
    *cmd = cli_find(argc, argv, &words);
    ck_assert_msg(*cmd != NULL, "no command for %s", argv[0]);
    *json = 0;
    msg[0] = '\0';
    return cli_args_parse(*cmd, argc - words, argv + words, a, json, msg, 256);
}

START_TEST(every_command_is_found_and_documented)
{
    int n = 0;
    for (int i = 0; cli_table[i]; i++, n++) {
        const struct cli_cmd *c = cli_table[i];
        char buf[64], *argv[3];
        snprintf(buf, sizeof buf, "%s", c->name);
        int argc = 0;
        for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
            argv[argc++] = w;
        int words;
        ck_assert_ptr_eq(cli_find(argc, argv, &words), c);
        ck_assert_int_eq(words, argc);
        ck_assert_msg(c->help && *c->help && c->usage && c->exec, "%s lacks help", c->name);
        ck_assert_int_le(c->min_args, c->max_args);
    }
    ck_assert_int_eq(n, 37);
    char *unknown[] = {"pool", "explode"};
    int words;
    ck_assert_ptr_null(cli_find(2, unknown, &words));
}
END_TEST

START_TEST(pool_create_line)
{
    char *argv[] = {"pool",
                    "create",
                    "lab",
                    "--template",
                    "tiny",
                    "--type=pooled",
                    "--max",
                    "3",
                    "--spare",
                    "2",
                    "--wait",
                    "--json",
                    "--disconnect-timeout",
                    "15m",
                    "--refresh-on-logoff",
                    "no"};
    const struct cli_cmd *c;
    struct cli_args a;
    int json;
    char msg[256];
    ck_assert_int_eq(parse(ARGC(argv), argv, &c, &a, &json, msg), 0);
    ck_assert_str_eq(c->name, "pool create");
    ck_assert_int_eq(a.argc, 1);
    ck_assert_str_eq(a.argv[0], "lab");
    ck_assert_str_eq(cli_arg(&a, "--template"), "tiny");
    ck_assert_str_eq(cli_arg(&a, "--type"), "pooled");
    ck_assert_str_eq(cli_arg(&a, "--wait"), "");
    ck_assert_ptr_null(cli_arg(&a, "--min"));
    ck_assert_int_eq(json, 1);

    struct cli_ctx ctx = {.out = stdout, .err = stderr, .cmd = c};
    json_t *body = NULL;
    ck_assert_int_eq(pool_fields_body(&ctx, &a, 1, &body), CLI_OK);
    char *t = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(t, "{\"disconnect_timeout_s\":900,\"max\":3,\"refresh_on_logoff\":false,"
                        "\"spare\":2,\"template\":\"tiny\",\"type\":\"pooled\"}");
    free(t);
    json_decref(body);
    /* pool set never sends what cannot change. */
    ck_assert_int_eq(pool_fields_body(&ctx, &a, 0, &body), CLI_OK);
    ck_assert_ptr_null(json_object_get(body, "template"));
    ck_assert_ptr_null(json_object_get(body, "type"));
    ck_assert_int_eq(json_integer_value(json_object_get(body, "max")), 3);
    json_decref(body);
}
END_TEST

static void bad_value(const char *opt, const char *value, const char *why)
{
    char *argv[] = {"pool", "set", "lab", (char *)opt, (char *)value};
    const struct cli_cmd *c;
    struct cli_args a;
    int json;
    char msg[256];
    ck_assert_int_eq(parse(ARGC(argv), argv, &c, &a, &json, msg), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    struct cli_ctx ctx = {.out = stdout, .err = err, .cmd = c};
    json_t *body = NULL;
    ck_assert_int_eq(pool_fields_body(&ctx, &a, 0, &body), CLI_USAGE);
    ck_assert_ptr_null(body);
    fclose(err);
    ck_assert_msg(strstr(buf, why) != NULL, "\"%s\" lacks \"%s\"", buf, why);
    ck_assert_ptr_nonnull(strstr(buf, "usage: deskpool pool set NAME"));
    free(buf);
}

START_TEST(pool_values_checked)
{
    bad_value("--max", "three", "--max needs a whole number");
    bad_value("--max", "-1", "--max needs a whole number");
    bad_value("--spare", "99999999999", "--spare needs a whole number");
    bad_value("--disconnect-timeout", "5 minutes", "duration like 90, 90s, 15m");
    bad_value("--refresh-on-logoff", "maybe", "needs yes or no");
    bad_value("--clone-mode", "fast", "one of instant|boot");
    ck_assert_int_eq(pool_parse_duration("90"), 90);
    ck_assert_int_eq(pool_parse_duration("90s"), 90);
    ck_assert_int_eq(pool_parse_duration("15m"), 900);
    ck_assert_int_eq(pool_parse_duration("2h"), 7200);
    ck_assert_int_eq(pool_parse_duration("1d"), 86400);
    ck_assert_int_eq(pool_parse_duration("1w"), -1);
    ck_assert_int_eq(pool_parse_duration(""), -1);
    ck_assert_int_eq(pool_parse_duration("-5m"), -1);
    ck_assert_int_eq(pool_parse_duration("99999999d"), -1);
}
END_TEST

/* Each line must be refused with msg containing why (or 1 = help). */
static void refused(int argc, char **argv, int want, const char *why)
{
    const struct cli_cmd *c;
    struct cli_args a;
    int json;
    char msg[256];
    ck_assert_int_eq(parse(argc, argv, &c, &a, &json, msg), want);
    if (why)
        ck_assert_msg(strstr(msg, why) != NULL, "\"%s\" lacks \"%s\"", msg, why);
}

START_TEST(usage_errors)
{
    char *a1[] = {"pool", "create", "lab", "--colour", "red"};
    refused(ARGC(a1), a1, -1, "unknown option --colour");
    char *a2[] = {"pool", "create", "lab", "--max"};
    refused(ARGC(a2), a2, -1, "option --max needs a value");
    char *a3[] = {"vm", "start"};
    refused(ARGC(a3), a3, -1, "missing argument");
    char *a4[] = {"vm", "start", "a", "b"};
    refused(ARGC(a4), a4, -1, "unexpected argument \"b\"");
    char *a5[] = {"group", "member", "staff"};
    refused(ARGC(a5), a5, -1, "missing argument");
    char *a6[] = {"pool", "delete", "lab", "--force=yes"};
    refused(ARGC(a6), a6, -1, "option --force takes no value");
    char *a7[] = {"status", "now"};
    refused(ARGC(a7), a7, -1, "unexpected argument");
    char *a8[] = {"user", "add", "alice", "--password", "x"};
    refused(ARGC(a8), a8, -1, "unknown option --password"); /* never on the command line */
    char *a9[] = {"pool", "create", "--help"};
    refused(ARGC(a9), a9, 1, NULL);
    char *a10[] = {"entitle", "-h"};
    refused(ARGC(a10), a10, 1, NULL);
}
END_TEST

START_TEST(other_lines)
{
    const struct cli_cmd *c;
    struct cli_args a;
    int json;
    char msg[256];
    /* "--" lets a name start with a dash. */
    char *a1[] = {"vm", "show", "--", "-odd"};
    ck_assert_int_eq(parse(ARGC(a1), a1, &c, &a, &json, msg), 0);
    ck_assert_str_eq(a.argv[0], "-odd");
    char *a2[] = {"entitle", "lab", "--user", "alice", "--remove"};
    ck_assert_int_eq(parse(ARGC(a2), a2, &c, &a, &json, msg), 0);
    ck_assert_str_eq(c->name, "entitle");
    ck_assert_str_eq(cli_arg(&a, "--user"), "alice");
    ck_assert_ptr_nonnull(cli_arg(&a, "--remove"));
    char *a3[] = {"desktop", "request", "bob", "--pool=lab", "--show-credentials"};
    ck_assert_int_eq(parse(ARGC(a3), a3, &c, &a, &json, msg), 0);
    ck_assert_str_eq(c->name, "desktop request");
    ck_assert_str_eq(cli_arg(&a, "--pool"), "lab");
    char *a4[] = {"session", "logoff", "alice", "--pool", "lab"};
    ck_assert_int_eq(parse(ARGC(a4), a4, &c, &a, &json, msg), 0);
    ck_assert_str_eq(c->name, "session logoff");
    char *a5[] = {"events", "--follow", "--limit", "5"};
    ck_assert_int_eq(parse(ARGC(a5), a5, &c, &a, &json, msg), 0);
    ck_assert_str_eq(cli_arg(&a, "--limit"), "5");
    /* The last of a repeated option wins. */
    char *a6[] = {"vm", "list", "--pool", "a", "--pool", "b"};
    ck_assert_int_eq(parse(ARGC(a6), a6, &c, &a, &json, msg), 0);
    ck_assert_str_eq(cli_arg(&a, "--pool"), "b");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deskpool_cli_args");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_command_is_found_and_documented);
    tcase_add_test(tc, pool_create_line);
    tcase_add_test(tc, pool_values_checked);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, other_lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
