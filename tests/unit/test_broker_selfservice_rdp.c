/* SPDX-License-Identifier: Apache-2.0 */
/* .rdp files: the fields mstsc, Remmina and xfreerdp need, CRLF lines, no injection. */
#include "rdp_file.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tok = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde.1800000060."
                         "MACMACMACMACMACMACMACMACMACMACMACMACMACMACM";

/* 1 if the file has exactly this line (CRLF-terminated). */
static int has_line(const char *file, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = file; (p = strstr(p, line)); p++)
        if ((p == file || p[-1] == '\n') && p[n] == '\r' && p[n + 1] == '\n')
            return 1;
    return 0;
}

START_TEST(standard_fields)
{
    char out[2048];
    struct rdp_file_in in = {"gw.example.org:3389", tok, "alice"};
    ck_assert_int_eq(rdp_file_build(&in, out, sizeof out), 0);
    ck_assert(has_line(out, "full address:s:gw.example.org:3389"));
    char lb[256];
    snprintf(lb, sizeof lb, "loadbalanceinfo:s:Cookie: msts=%s", tok);
    ck_assert(has_line(out, lb));
    ck_assert(has_line(out, "username:s:alice"));
    ck_assert(has_line(out, "prompt for credentials:i:0"));
    ck_assert(has_line(out, "authentication level:i:0"));
    ck_assert(has_line(out, "enablecredsspsupport:i:1"));
    /* The token is one-time: a silent reconnect with it would only be refused. */
    ck_assert(has_line(out, "autoreconnection enabled:i:0"));
    /* Every line ends in CRLF, and there is no bare LF. */
    size_t len = strlen(out);
    ck_assert(len > 2 && out[len - 2] == '\r' && out[len - 1] == '\n');
    for (size_t i = 0; i < len; i++)
        if (out[i] == '\n')
            ck_assert_int_eq(out[i - 1], '\r');
    /* No password in any form. */
    ck_assert_ptr_null(strstr(out, "password"));
}
END_TEST

START_TEST(refuses_control_characters)
{
    char out[2048];
    struct rdp_file_in bad[] = {
        {"gw\r\nalternate shell:s:cmd.exe", tok, "alice"},
        {"gw", "tok\nfull address:s:evil", "alice"},
        {"gw", tok, "alice\r\nusername:s:root"},
        {"gw", tok, "al\tice"},
        {"", tok, "alice"},
        {"gw", "", "alice"},
        {NULL, tok, "alice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(rdp_file_build(&bad[i], out, sizeof out) != 0, "case %zu accepted", i);
}
END_TEST

START_TEST(small_buffer_fails_cleanly)
{
    char out[64];
    struct rdp_file_in in = {"gw", tok, "alice"};
    ck_assert_int_ne(rdp_file_build(&in, out, sizeof out), 0);
    ck_assert_int_ne(rdp_file_build(&in, out, 0), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_selfservice_rdp");
    TCase *tc = tcase_create("rdp");
    tcase_add_test(tc, standard_fields);
    tcase_add_test(tc, refuses_control_characters);
    tcase_add_test(tc, small_buffer_fails_cleanly);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
