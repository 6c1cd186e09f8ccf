/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-set-user-nthash: the broker pushes a user's NT hash so the routing-token path
 * (NLA end to end with the VM) accepts the user's own password. Driven over the QGA wire. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "files.h"
#include "guestd.h"
#include "qga_cmds.h"
#include "qga_proto.h"

static char root[64];
static struct guestd_ctx ctx;
static struct qga_conn conn;

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/dp-nthash-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    memset(&ctx, 0, sizeof ctx);
    ck_assert_int_eq(guestd_paths_init(&ctx.paths, root, NULL), 0);
    guestd_sys_linux(&ctx.sys);
    qga_conn_init(&conn, &ctx);
}

static void teardown(void)
{
    dp_remove_tree(root, NULL);
}

/* Sends one request; returns its one reply, parsed (caller decrefs). */
static json_t *call(const char *req)
{
    struct qga_out out = {0};
    ck_assert_int_eq(qga_feed(&conn, (const uint8_t *)req, strlen(req), &out), 0);
    json_error_t jerr;
    json_t *j = json_loadb(out.data ? (const char *)out.data : "", out.len, 0, &jerr);
    ck_assert_msg(j != NULL, "reply is not JSON: %.*s", (int)out.len,
                  out.data ? (const char *)out.data : "");
    qga_out_free(&out);
    return j;
}

static const char *err_desc(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "desc"));
}

static char *sam_text(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s" GUESTD_SAM_PATH, root);
    return dp_read_file(path, 1 << 20, NULL, NULL);
}

START_TEST(sets_hash_lowercase_and_replaces_user)
{
    /* "password" has NT hash 8846f7eaee8fb117ad06bdd830b7586c; upper case is accepted and
     * stored the way FreeRDP and the password command write it. */
    json_t *j = call("{\"execute\":\"deskpool-set-user-nthash\",\"arguments\":{\"username\":"
                     "\"alice\",\"nt-hash\":\"00000000000000000000000000000000\"}}");
    ck_assert_msg(json_object_get(j, "return") != NULL, "error: %s", err_desc(j));
    json_decref(j);
    j = call("{\"execute\":\"deskpool-set-user-nthash\",\"arguments\":{\"username\":"
             "\"alice\",\"nt-hash\":\"8846F7EAEE8FB117AD06BDD830B7586C\"}}");
    ck_assert_msg(json_object_get(j, "return") != NULL, "error: %s", err_desc(j));
    json_decref(j);
    char *sam = sam_text();
    ck_assert_ptr_nonnull(sam);
    ck_assert_str_eq(sam, "alice:::8846f7eaee8fb117ad06bdd830b7586c:::\n");
    free(sam);
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s" GUESTD_SAM_PATH, root);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(same_line_as_set_user_password)
{
    /* The hash route and the password route must give FreeRDP the same line. */
    json_t *j = call("{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":"
                     "\"bob\",\"password\":\"cGFzc3dvcmQ=\",\"crypted\":false}}");
    json_decref(j);
    char *by_password = sam_text();
    j = call("{\"execute\":\"deskpool-set-user-nthash\",\"arguments\":{\"username\":"
             "\"bob\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c\"}}");
    json_decref(j);
    char *by_hash = sam_text();
    ck_assert_ptr_nonnull(by_password);
    ck_assert_ptr_nonnull(by_hash);
    ck_assert_str_eq(by_password, by_hash);
    free(by_password);
    free(by_hash);
}
END_TEST

START_TEST(refusals_change_nothing_and_never_echo_the_hash)
{
    const char *bad[] = {
        "{\"username\":\"alice\"}",
        "{\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c\"}",
        "{\"username\":\"alice\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586\"}",
        "{\"username\":\"alice\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c0\"}",
        "{\"username\":\"alice\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586g\"}",
        "{\"username\":\"alice\",\"nt-hash\":12}",
        "{\"username\":\"a:b\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c\"}",
        "{\"username\":\"\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c\"}",
        "{\"username\":\"alice\",\"nt-hash\":\"8846f7eaee8fb117ad06bdd830b7586c\",\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[512];
        snprintf(req, sizeof req, "{\"execute\":\"deskpool-set-user-nthash\",\"arguments\":%s}",
                 bad[i]);
        json_t *j = call(req);
        ck_assert_msg(json_object_get(j, "error") != NULL, "accepted: %s", bad[i]);
        const char *d = err_desc(j);
        ck_assert_ptr_nonnull(d);
        ck_assert_msg(strstr(d, "8846f7eaee8fb117") == NULL, "hash echoed: %s", d);
        json_decref(j);
    }
    char *sam = sam_text();
    ck_assert_ptr_null(sam);
}
END_TEST

START_TEST(parse_is_strict)
{
    uint8_t h[16];
    ck_assert_int_eq(guestd_nthash_parse("000102030405060708090a0b0c0d0e0f", 32, h), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(h[i], i);
    ck_assert_int_eq(guestd_nthash_parse("000102030405060708090a0b0c0d0e0", 31, h), -1);
    ck_assert_int_eq(guestd_nthash_parse("000102030405060708090a0b0c0d0e0 ", 32, h), -1);
    ck_assert_int_eq(guestd_nthash_parse("", 0, h), -1);
}
END_TEST

START_TEST(listed_by_guest_info)
{
    ck_assert_ptr_nonnull(qga_cmd_find("deskpool-set-user-nthash"));
    json_t *j = call("{\"execute\":\"guest-info\"}");
    json_t *cmds = json_object_get(json_object_get(j, "return"), "supported_command");
    size_t i;
    json_t *c;
    int found = 0;
    json_array_foreach(cmds, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), "deskpool-set-user-nthash") == 0)
            found = 1;
    }
    ck_assert(found);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guestd_nthash");
    TCase *tc = tcase_create("nthash");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sets_hash_lowercase_and_replaces_user);
    tcase_add_test(tc, same_line_as_set_user_password);
    tcase_add_test(tc, refusals_change_nothing_and_never_echo_the_hash);
    tcase_add_test(tc, parse_is_strict);
    tcase_add_test(tc, listed_by_guest_info);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
