/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-connect's config file, .rdp text, xfreerdp command line, desktop choice and exit
 * statuses (pure parts, plus the config file's mode on disk). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn_exit.h"
#include "connect.h"
#include "desktop_pick.h"
#include "http.h"
#include "launch.h"

static char msg[600];
static const char *FP = "4740e1f9e96262509c0e4b8f7bd15a87777dacc59cddfc663b1c9cf5cc15c6ae";

START_TEST(config_round_trip)
{
    struct conn_config c = {0}, back;
    char text[1024];
    snprintf(c.broker, sizeof c.broker, "https://b.lab:8443");
    snprintf(c.fingerprint, sizeof c.fingerprint, "%s", FP);
    snprintf(c.user, sizeof c.user, "alice");
    ck_assert_int_gt(conn_config_format(&c, text, sizeof text), 0);
    ck_assert_ptr_nonnull(strstr(text, "broker = https://b.lab:8443\n"));
    ck_assert_int_eq(conn_config_parse(text, &back, msg, sizeof msg), 0);
    ck_assert_int_eq(memcmp(&c, &back, sizeof c), 0);
}
END_TEST

START_TEST(config_parse_lenient_and_strict)
{
    struct conn_config c;
    /* Blanks, comments, CRLF, an address as people type it, a pasted openssl fingerprint. */
    ck_assert_int_eq(conn_config_parse("# mine\r\n\n  broker=b.lab  \r\nuser = bob\n"
                                       "fingerprint = SHA256:4740E1F9E96262509C0E4B8F7BD15A87777D"
                                       "ACC59CDDFC663B1C9CF5CC15C6AE\n",
                                       &c, msg, sizeof msg),
                     0);
    ck_assert_str_eq(c.broker, "https://b.lab:8443");
    ck_assert_str_eq(c.user, "bob");
    ck_assert_str_eq(c.fingerprint, FP);

    ck_assert_int_eq(conn_config_parse("user = a\n\nbrokr = x\n", &c, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "line 3: unknown key \"brokr\""));
    ck_assert_int_eq(conn_config_parse("broker\n", &c, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "line 1: expected key = value"));
    ck_assert_int_eq(conn_config_parse("fingerprint = 12:34\n", &c, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "not a SHA-256"));
    ck_assert_int_eq(conn_config_parse("broker = http://b\n", &c, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "only https://"));
}
END_TEST

START_TEST(config_file_is_private)
{
    char dir[] = "/tmp/test_connect_XXXXXX", path[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sub/connect.conf", dir);
    struct conn_config c = {0}, back;
    snprintf(c.broker, sizeof c.broker, "https://b.lab:8443");
    ck_assert_int_eq(conn_config_load(path, &back, msg, sizeof msg), 0); /* missing: empty */
    ck_assert_str_eq(back.broker, "");
    ck_assert_int_eq(conn_config_save(path, &c, msg, sizeof msg), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(conn_config_load(path, &back, msg, sizeof msg), 0);
    ck_assert_str_eq(back.broker, "https://b.lab:8443");
    FILE *f = fopen(path, "a");
    fputs("colour = blue\n", f);
    fclose(f);
    ck_assert_int_eq(conn_config_load(path, &back, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, path));
    ck_assert_ptr_nonnull(strstr(msg, "fix it or remove the file"));
    unlink(path);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    rmdir(sub);
    rmdir(dir);
}
END_TEST

START_TEST(config_default_path)
{
    char p[512];
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    ck_assert_int_eq(conn_config_path(p, sizeof p), 0);
    ck_assert_str_eq(p, "/x/cfg/deskpool/connect.conf");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/al", 1);
    ck_assert_int_eq(conn_config_path(p, sizeof p), 0);
    ck_assert_str_eq(p, "/home/al/.config/deskpool/connect.conf");
}
END_TEST

START_TEST(rdp_file_content)
{
    struct conn_target t = {"gw.lab:3389", "tok-123_ABC", "alice", "lab-1"};
    char buf[2048];
    int n = rdp_file_text(&t, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq((int)strlen(buf), n);
    ck_assert_ptr_nonnull(strstr(buf, "full address:s:gw.lab:3389\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "loadbalanceinfo:s:Cookie: msts=tok-123_ABC\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "username:s:alice\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "prompt for credentials:i:0\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "authentication level:i:0\r\n"));
    ck_assert_ptr_null(strstr(buf, "password")); /* never a password in a file */
    /* Every line ends in CRLF: no bare LF. */
    for (int i = 0; i < n; i++)
        if (buf[i] == '\n')
            ck_assert_int_eq(buf[i - 1], '\r');
    /* A line break in a value would inject a setting; too small a buffer is no file. */
    struct conn_t2 {
        const char *g, *tok, *u;
    } bad[] = {{"gw\r\nusername:s:x", "t", "a"},
               {"gw", "t\nx", "a"},
               {"gw", "t", "a\tb"},
               {"", "t", "a"},
               {"gw", "", "a"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct conn_target b = {bad[i].g, bad[i].tok, bad[i].u, NULL};
        ck_assert_int_eq(rdp_file_text(&b, buf, sizeof buf), -1);
    }
    ck_assert_int_eq(rdp_file_text(&t, buf, 40), -1);
}
END_TEST

START_TEST(xfreerdp_command_line)
{
    struct conn_target t = {"gw.lab:3389", "tok-1", "alice", "lab-1"};
    char *extra[] = {"/f", "/size:800x600"};
    char *argv[XF_MAX_ARGS];
    int n = xf_argv("/usr/bin/xfreerdp", &t, extra, 2, argv);
    ck_assert_int_eq(n, 9);
    ck_assert_str_eq(argv[0], "/usr/bin/xfreerdp");
    ck_assert_str_eq(argv[1], "/v:gw.lab:3389");
    ck_assert_str_eq(argv[2], "/load-balance-info:Cookie: msts=tok-1");
    ck_assert_str_eq(argv[3], "/u:alice");
    ck_assert_str_eq(argv[4], "/from-stdin");
    ck_assert_str_eq(argv[5], "/cert:ignore");
    ck_assert_str_eq(argv[6], "/t:deskpool: lab-1");
    ck_assert_str_eq(argv[7], "/f");
    ck_assert_str_eq(argv[8], "/size:800x600");
    ck_assert_ptr_null(argv[9]);
    for (int i = 0; i < n; i++)
        ck_assert_msg(strncmp(argv[i], "/p:", 3) != 0, "a password in argv");
    xf_argv_free(argv);
    struct conn_target bad = {"gw", "t\r\nx", "alice", NULL};
    ck_assert_int_eq(xf_argv("xfreerdp", &bad, NULL, 0, argv), -1);
    char *many[XF_MAX_ARGS];
    for (int i = 0; i < XF_MAX_ARGS; i++)
        many[i] = "/f";
    ck_assert_int_eq(xf_argv("xfreerdp", &t, many, XF_MAX_ARGS, argv), -1);
}
END_TEST

START_TEST(client_lookup)
{
    char p[4096];
    setenv("PATH", "/nonexistent:/bin:/usr/bin", 1);
    ck_assert_int_eq(xf_find("sh", p, sizeof p), 0);
    ck_assert_int_eq(access(p, X_OK), 0);
    ck_assert_int_eq(xf_find("no-such-client-xyz", p, sizeof p), -1);
    ck_assert_int_eq(xf_find("/nonexistent/xfreerdp", p, sizeof p), -1);
    ck_assert_int_eq(xf_find("/bin/sh", p, sizeof p), 0);
}
END_TEST

START_TEST(exit_codes)
{
    ck_assert_int_eq(conn_exit_for_status(200), CONN_OK);
    ck_assert_int_eq(conn_exit_for_status(202), CONN_OK);
    ck_assert_int_eq(conn_exit_for_status(401), CONN_LOGIN_REFUSED);
    ck_assert_int_eq(conn_exit_for_status(403), CONN_FORBIDDEN);
    ck_assert_int_eq(conn_exit_for_status(404), CONN_FORBIDDEN);
    ck_assert_int_eq(conn_exit_for_status(503), CONN_NO_CAPACITY);
    ck_assert_int_eq(conn_exit_for_status(409), CONN_FAILED);
    ck_assert_int_eq(conn_exit_for_status(500), CONN_FAILED);
    ck_assert_int_eq(conn_exit_for_status(400), CONN_FAILED);
    ck_assert_int_eq(conn_exit_for_transport(HTTP_OK), CONN_OK);
    ck_assert_int_eq(conn_exit_for_transport(HTTP_UNREACHABLE), CONN_UNREACHABLE);
    ck_assert_int_eq(conn_exit_for_transport(HTTP_BAD_RESPONSE), CONN_UNREACHABLE);
    ck_assert_int_eq(conn_exit_for_transport(HTTP_UNTRUSTED), CONN_UNTRUSTED);
    /* Every status has its own name, so --json consumers can tell them apart too. */
    for (int a = 0; a <= CONN_CANCELLED; a++)
        for (int b = a + 1; b <= CONN_CANCELLED; b++)
            ck_assert_str_ne(conn_exit_name(a), conn_exit_name(b));
    ck_assert_str_eq(conn_exit_name(CONN_NO_CLIENT), "client_not_found");
}
END_TEST

START_TEST(desktop_choice)
{
    json_error_t e;
    json_t *items = json_loads("[{\"id\": 11, \"pool\": \"lab\"}, {\"id\": 21, \"pool\": \"home\"},"
                               " {\"id\": null, \"pool\": \"new\"}]",
                               0, &e);
    ck_assert_ptr_nonnull(items);
    json_t *d = desktop_pick(items, "home", msg, sizeof msg);
    ck_assert_ptr_eq(d, json_array_get(items, 1));
    ck_assert_ptr_eq(desktop_pick(items, "11", msg, sizeof msg), json_array_get(items, 0));
    ck_assert_ptr_eq(desktop_pick(items, "new", msg, sizeof msg), json_array_get(items, 2));
    ck_assert_ptr_null(desktop_pick(items, NULL, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "name one: lab, home, new"));
    ck_assert_ptr_null(desktop_pick(items, "12", msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "see --list"));
    json_t *one = json_loads("[{\"id\": 5, \"pool\": \"lab\"}]", 0, &e);
    ck_assert_ptr_eq(desktop_pick(one, NULL, msg, sizeof msg), json_array_get(one, 0));
    json_t *none = json_array();
    ck_assert_ptr_null(desktop_pick(none, NULL, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "not entitled"));
    json_decref(items);
    json_decref(one);
    json_decref(none);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connect_files");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, config_round_trip);
    tcase_add_test(tc, config_parse_lenient_and_strict);
    tcase_add_test(tc, config_file_is_private);
    tcase_add_test(tc, config_default_path);
    tcase_add_test(tc, rdp_file_content);
    tcase_add_test(tc, xfreerdp_command_line);
    tcase_add_test(tc, client_lookup);
    tcase_add_test(tc, exit_codes);
    tcase_add_test(tc, desktop_choice);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
