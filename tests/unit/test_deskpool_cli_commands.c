/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool commands end to end against a fake deskpoold: what is sent, what is printed, exit
 * statuses; credentials stay hidden unless asked for. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test_deskpool_cli_fake.h"

static char *out_buf, *err_buf;

/* Runs `deskpool --socket FAKE ARGS...` (NULL-terminated); output in out_buf/err_buf. */
static int run(const char *first, ...)
{
    char *argv[32] = {"deskpool", "--socket", fake_sock};
    int argc = 3;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w && argc < 31; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    free(out_buf);
    free(err_buf);
    size_t ol, el;
    FILE *out = open_memstream(&out_buf, &ol), *err = open_memstream(&err_buf, &el);
    int rc = cli_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return rc;
}

static void teardown(void)
{
    fake_stop();
    free(out_buf);
    free(err_buf);
    out_buf = err_buf = NULL;
}

START_TEST(pool_list_table_and_json)
{
    const char *body = "{\"items\":[{\"name\":\"lab\",\"type\":\"pooled\",\"template\":\"tiny\","
                       "\"max\":3,\"spare\":2,\"paused\":false,\"counts\":{\"ready\":2,"
                       "\"provisioning\":1,\"spare_ready\":2,\"spare_stopped\":0}}]}";
    const char *replies[] = {fake_json("200 OK", body), fake_json("200 OK", body)};
    fake_start(replies, 2);
    ck_assert_int_eq(run("pool", "list", NULL), 0);
    ck_assert_str_eq(out_buf, "NAME  TYPE    TEMPLATE  VMS  MAX  SPARE  READY  PAUSED  STATES\n"
                              "lab   pooled  tiny        3    3      2      2  no      ready 2, "
                              "provisioning 1\n");
    ck_assert_int_eq(run("--json", "pool", "list", NULL), 0);
    json_t *j = json_loads(out_buf, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(j, "items"), 0), "template")),
                     "tiny");
    json_decref(j);
    char *log = fake_requests();
    ck_assert_ptr_nonnull(strstr(log, "GET /api/v1/pools\n"));
    free(log);
}
END_TEST

START_TEST(api_errors_and_unreachable)
{
    const char *replies[] = {fake_json("409 Conflict",
                                       "{\"error\":{\"code\":\"conflict\",\"message\":\"pool "
                                       "\\\"lab\\\" exists; pick another name\"}}")};
    fake_start(replies, 1);
    ck_assert_int_eq(
        run("pool", "create", "lab", "--template", "tiny", "--type", "pooled", "--max", "3", NULL),
        1);
    ck_assert_str_eq(err_buf, "deskpool: pool \"lab\" exists; pick another name\n");
    ck_assert_str_eq(out_buf, "");
    char *log = fake_requests();
    json_t *sent = json_loads(strchr(log, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(sent, "name")), "lab");
    ck_assert_int_eq(json_integer_value(json_object_get(sent, "max")), 3);
    json_decref(sent);
    free(log);
    fake_stop();

    /* Usage errors send nothing: no daemon needed to be told the line is wrong. */
    ck_assert_int_eq(run("pool", "create", "lab", "--max", "3", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err_buf, "--template, --type and --max are required"));
    ck_assert_int_eq(run("frobnicate", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err_buf, "unknown command \"frobnicate\""));

    ck_assert_int_eq(run("status", NULL), 3);
    char want[256];
    snprintf(want, sizeof want,
             "deskpool: cannot reach deskpoold at %s: No such file or directory; is it running? "
             "(start it: deskpoold)\n",
             fake_sock);
    ck_assert_str_eq(err_buf, want);
}
END_TEST

static const char *ready_body =
    "{\"status\":\"ready\",\"session_id\":5,\"vm\":\"lab-001\",\"host\":\"127.0.0.1\","
    "\"port\":40001,\"username\":\"dpuser\",\"password\":\"Xy7-one-time\"}";

START_TEST(desktop_request_hides_the_credential)
{
    const char *replies[] = {
        fake_json("202 Accepted", "{\"status\":\"starting\",\"vm\":\"lab-002\","
                                  "\"retry_after_s\":1}"),
        fake_json("200 OK", ready_body),
        fake_json("200 OK", ready_body),
        fake_json("200 OK", ready_body),
    };
    fake_start(replies, 4);
    /* Starting, then ready on the retry. */
    ck_assert_int_eq(run("desktop", "request", "alice", "--pool", "lab", NULL), 0);
    ck_assert_str_eq(out_buf, "alice: desktop lab-001 at 127.0.0.1:40001 (session 5)\n"
                              "a one-time credential for lab-001 was issued (not shown; "
                              "--show-credentials prints it)\n");
    ck_assert_ptr_null(strstr(out_buf, "Xy7"));
    ck_assert_int_eq(run("--json", "desktop", "request", "alice", NULL), 0);
    ck_assert_ptr_null(strstr(out_buf, "Xy7"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\"vm\": \"lab-001\""));
    ck_assert_int_eq(run("desktop", "request", "alice", "--show-credentials", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "password Xy7-one-time"));
    char *log = fake_requests();
    ck_assert_ptr_nonnull(
        strstr(log, "POST /api/v1/desktops/request\n{\"user\":\"alice\",\"pool\":\"lab\"}"));
    free(log);
}
END_TEST

START_TEST(user_add_reads_the_password_from_stdin)
{
    const char *replies[] = {fake_json("201 Created", "{\"name\":\"alice\"}")};
    fake_start(replies, 1);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "S3cret-pw\n", 10), 10);
    close(p[1]);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);
    ck_assert_int_eq(run("user", "add", "alice", "--default-pool", "lab", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "user alice added"));
    ck_assert_ptr_null(strstr(out_buf, "S3cret"));
    char *log = fake_requests();
    json_t *sent = json_loads(strchr(log, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(sent, "password")), "S3cret-pw");
    ck_assert_str_eq(json_string_value(json_object_get(sent, "default_pool")), "lab");
    json_decref(sent);
    free(log);
    /* Nothing on stdin: refused before anything is sent. */
    int q[2];
    ck_assert_int_eq(pipe(q), 0);
    close(q[1]);
    dup2(q[0], STDIN_FILENO);
    ck_assert_int_eq(run("user", "passwd", "alice", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err_buf, "no password given"));
}
END_TEST

START_TEST(names_resolved_to_ids)
{
    const char *replies[] = {
        fake_json("200 OK", "{\"items\":[{\"id\":3,\"pool\":\"lab\",\"group\":\"staff\"},"
                            "{\"id\":7,\"pool\":\"lab\",\"user\":\"alice\"}]}"),
        "HTTP/1.1 204 No Content\r\n\r\n",
        fake_json("200 OK", "{\"items\":[{\"id\":11,\"user\":\"bob\",\"pool\":\"lab\"},"
                            "{\"id\":12,\"user\":\"alice\",\"pool\":\"lab\"}]}"),
        fake_json("202 Accepted", "{}"),
        fake_json("200 OK", "{\"items\":[]}"),
    };
    fake_start(replies, 5);
    ck_assert_int_eq(run("entitle", "lab", "--user", "alice", "--remove", NULL), 0);
    ck_assert_str_eq(out_buf, "user alice may no longer use pool lab\n");
    ck_assert_int_eq(run("session", "logoff", "alice", NULL), 0);
    ck_assert_str_eq(out_buf, "session 12 logged off\n");
    ck_assert_int_eq(run("session", "logoff", "carol", NULL), 1);
    ck_assert_ptr_nonnull(strstr(err_buf, "carol has no live session"));
    char *log = fake_requests();
    ck_assert_ptr_nonnull(strstr(log, "DELETE /api/v1/entitlements/7\n"));
    ck_assert_ptr_nonnull(strstr(log, "POST /api/v1/sessions/12/logoff\n"));
    free(log);
}
END_TEST

START_TEST(pool_create_waits_for_spares)
{
    const char *replies[] = {
        fake_json("201 Created", "{\"name\":\"lab\",\"max\":3,\"spare\":2}"),
        fake_json("200 OK", "{\"name\":\"lab\",\"spare\":2,\"paused\":false,"
                            "\"counts\":{\"provisioning\":2,\"spare_ready\":0}}"),
        fake_json("200 OK", "{\"name\":\"lab\",\"spare\":2,\"paused\":false,"
                            "\"counts\":{\"ready\":2,\"spare_ready\":2}}"),
    };
    fake_start(replies, 3);
    ck_assert_int_eq(run("pool", "create", "lab", "--template", "tiny", "--type", "pooled", "--max",
                         "3", "--spare", "2", "--wait", NULL),
                     0);
    /* Not a terminal: no spinner, just the results. */
    ck_assert_str_eq(out_buf, "pool lab created (pooled, template tiny, max 3, spare 2)\n"
                              "pool lab: 2 of 2 spare VMs ready\n");
}
END_TEST

START_TEST(pool_wait_stops_on_pause)
{
    const char *replies[] = {
        fake_json("201 Created", "{\"name\":\"lab\",\"max\":3,\"spare\":2}"),
        fake_json("200 OK", "{\"name\":\"lab\",\"spare\":2,\"paused\":true,\"paused_reason\":"
                            "\"3 provisioning failures in 10 minutes\",\"counts\":{\"error\":3}}"),
    };
    fake_start(replies, 2);
    ck_assert_int_eq(run("pool", "create", "lab", "--template", "tiny", "--type", "pooled", "--max",
                         "3", "--spare", "2", "--wait", NULL),
                     1);
    ck_assert_ptr_nonnull(strstr(err_buf, "pool lab is paused: 3 provisioning failures"));
    ck_assert_ptr_nonnull(strstr(err_buf, "deskpool pool resume lab"));
}
END_TEST

START_TEST(events_tail)
{
    const char *replies[] = {
        fake_json("200 OK",
                  "{\"items\":[{\"id\":1,\"ts\":1700000000,\"actor\":\"root\",\"action\":"
                  "\"pool.create\",\"object\":\"lab\",\"detail\":\"\"},{\"id\":2,\"ts\":"
                  "1700000001,\"actor\":\"root\",\"action\":\"user.add\",\"object\":\"alice\"},"
                  "{\"id\":3,\"ts\":1700000002,\"actor\":\"pool\",\"action\":\"vm.ready\","
                  "\"object\":\"lab-001\",\"detail\":\"4.1 s\"}]}"),
        fake_json("200 OK", "{\"items\":[]}"),
    };
    fake_start(replies, 2);
    ck_assert_int_eq(run("events", "--limit", "2", NULL), 0);
    ck_assert_str_eq(out_buf, "     2  2023-11-14 22:13:21  root       user.add             alice\n"
                              "     3  2023-11-14 22:13:22  pool       vm.ready             "
                              "lab-001: 4.1 s\n");
    char *log = fake_requests();
    ck_assert_ptr_nonnull(strstr(log, "GET /api/v1/events?since=0&limit=500\n"));
    ck_assert_ptr_nonnull(strstr(log, "GET /api/v1/events?since=3&limit=500\n"));
    free(log);
}
END_TEST

int main(void)
{
    setenv("TZ", "UTC", 1);
    Suite *s = suite_create("deskpool_cli_commands");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, pool_list_table_and_json);
    tcase_add_test(tc, api_errors_and_unreachable);
    tcase_add_test(tc, desktop_request_hides_the_credential);
    tcase_add_test(tc, user_add_reads_the_password_from_stdin);
    tcase_add_test(tc, names_resolved_to_ids);
    tcase_add_test(tc, pool_create_waits_for_spares);
    tcase_add_test(tc, pool_wait_stops_on_pause);
    tcase_add_test(tc, events_tail);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
