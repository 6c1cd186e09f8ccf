/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-desktop's files: the users file, the SAM file check and the TLS certificate. */
#include <check.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "err.h"
#include "files.h"
#include "sam_check.h"
#include "sessions_file.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_desktop_files.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    dp_remove_tree(dir, NULL);
}

static char *slurp(const char *path)
{
    size_t len;
    struct dp_err err = {0};
    char *text = dp_read_file(path, 1 << 20, &len, &err);
    ck_assert_msg(text != NULL, "%s", dp_err_msg(&err));
    return text;
}

START_TEST(format_writes_one_tab_separated_line_per_session)
{
    struct session_entry e[3] = {
        {.id = 1, .user = "alice", .domain = "LAB", .login = 1700000000, .state = SESSION_ACTIVE},
        {.id = 0, .user = "ghost", .login = 5}, /* a free slot: not listed */
        {.id = 7, .user = "bob", .login = 1700000100, .state = SESSION_DISCONNECTED},
    };
    char buf[256];
    size_t n = sessions_format(e, 3, buf, sizeof buf);
    ck_assert_str_eq(buf,
                     "alice\tLAB\t1700000000\t1\tactive\nbob\t\t1700000100\t7\tdisconnected\n");
    ck_assert_uint_eq(n, strlen(buf));
    /* Too small a buffer: truncated and terminated, and the needed length is reported. */
    char small[8];
    ck_assert_uint_eq(sessions_format(e, 3, small, sizeof small), n);
    ck_assert_str_eq(small, "alice\tL");
    ck_assert_uint_eq(sessions_format(e, 3, NULL, 0), n);
}
END_TEST

START_TEST(format_neutralises_control_characters)
{
    struct session_entry e[1] = {
        {.id = 1, .user = "eve\tx\nroot", .domain = "D\rOM", .login = 1, .state = SESSION_ACTIVE}};
    char buf[128];
    sessions_format(e, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "eve?x?root\tD?OM\t1\t1\tactive\n");
}
END_TEST

START_TEST(users_file_follows_logins_and_logoffs)
{
    char path[512];
    /* The folder does not exist yet, as /run/deskpool after boot. */
    snprintf(path, sizeof path, "%s/run/deskpool/users", dir);
    struct sessions s;
    struct dp_err err = {0};
    ck_assert_int_eq(sessions_open(&s, path, &err), 0);
    char *text = slurp(path);
    ck_assert_str_eq(text, "");
    free(text);

    int a = sessions_add(&s, "alice", "", 1700000000, &err);
    int b = sessions_add(&s, "bob", "LAB", 1700000005, &err);
    ck_assert(!err.set);
    ck_assert_int_gt(a, 0);
    ck_assert_int_gt(b, 0);
    ck_assert_int_ne(a, b);
    text = slurp(path);
    char want[256];
    snprintf(want, sizeof want,
             "alice\t\t1700000000\t%d\tactive\nbob\tLAB\t1700000005\t%d\tactive\n", a, b);
    ck_assert_str_eq(text, want);
    free(text);

    ck_assert_int_eq(sessions_remove(&s, a, &err), 0);
    text = slurp(path);
    snprintf(want, sizeof want, "bob\tLAB\t1700000005\t%d\tactive\n", b);
    ck_assert_str_eq(text, want);
    free(text);
    ck_assert_int_eq(sessions_remove(&s, 9999, &err), 0); /* unknown id: no change */
    ck_assert_int_eq(sessions_clear(&s, &err), 0);
    text = slurp(path);
    ck_assert_str_eq(text, "");
    free(text);

    /* No temporary files are left behind next to it. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/run/deskpool/users.tmp.%d", dir, (int)getpid());
    ck_assert(!dp_path_exists(tmp));
    sessions_close(&s);
}
END_TEST

/* What the listener does as connections come and go: a disconnect keeps the session (and
 * what its desktop showed), a logon of the same user finds it again, a logoff removes it. */
START_TEST(sessions_disconnect_resume_and_log_off)
{
    char path[512];
    snprintf(path, sizeof path, "%s/users", dir);
    struct sessions s;
    struct dp_err err = {0};
    ck_assert_int_eq(sessions_open(&s, path, &err), 0);
    int a = sessions_add(&s, "alice", "", 1700000000, &err);
    int b = sessions_add(&s, "bob", "", 1700000001, &err);
    struct session_view v = {2, 9, "typing", "hello vm"};
    sessions_set_view(&s, a, &v);

    /* alice's client goes away: listed as disconnected, same id and login time. */
    ck_assert_int_eq(sessions_set_state(&s, a, SESSION_DISCONNECTED, &err), 0);
    char *text = slurp(path);
    char want[256];
    snprintf(want, sizeof want,
             "alice\t\t1700000000\t%d\tdisconnected\nbob\t\t1700000001\t%d\tactive\n", a, b);
    ck_assert_str_eq(text, want);
    free(text);

    /* She logs on again: the same session, with what her desktop showed. */
    struct session_entry *e = sessions_find_user(&s, "alice");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->id, a);
    ck_assert_int_eq(e->login, 1700000000);
    ck_assert_int_eq(e->state, SESSION_DISCONNECTED);
    ck_assert_str_eq(e->view.last_line, "hello vm");
    ck_assert_uint_eq(e->view.keys, 9);
    ck_assert_int_eq(sessions_set_state(&s, a, SESSION_ACTIVE, &err), 0);
    text = slurp(path);
    ck_assert_ptr_nonnull(strstr(text, "\tactive\nbob"));
    free(text);

    /* Names are matched exactly, as the SAM file does. */
    ck_assert_ptr_null(sessions_find_user(&s, "Alice"));
    ck_assert_ptr_null(sessions_find_user(&s, "carol"));
    ck_assert_ptr_null(sessions_find(&s, 0));

    /* Logoff: gone from the table and the file; a new logon is a new session. */
    ck_assert_int_eq(sessions_remove(&s, a, &err), 0);
    ck_assert_ptr_null(sessions_find_user(&s, "alice"));
    text = slurp(path);
    ck_assert_ptr_null(strstr(text, "alice"));
    free(text);
    int a2 = sessions_add(&s, "alice", "", 1700000100, &err);
    ck_assert_int_ne(a2, a);
    ck_assert_int_ne(a2, b);
    ck_assert_str_eq(sessions_find(&s, a2)->view.last_line, "");

    /* Unknown ids change nothing. */
    ck_assert_int_eq(sessions_set_state(&s, 9999, SESSION_DISCONNECTED, &err), 0);
    sessions_set_view(&s, 9999, &v);
    ck_assert(!err.set);
    sessions_close(&s);
}
END_TEST

START_TEST(long_names_are_cut_between_utf8_characters)
{
    char path[512], name[400] = "";
    snprintf(path, sizeof path, "%s/users", dir);
    struct sessions s;
    struct dp_err err = {0};
    ck_assert_int_eq(sessions_open(&s, path, &err), 0);
    /* "é" is two bytes; 200 of them cannot fit in SESSIONS_NAME_MAX - 1 = 127 bytes. */
    for (int i = 0; i < 190; i++)
        strcat(name, "\xc3\xa9");
    ck_assert_int_gt(sessions_add(&s, name, "", 1, &err), 0);
    char *text = slurp(path);
    char *tab = strchr(text, '\t');
    ck_assert_ptr_nonnull(tab);
    ck_assert_int_eq((int)(tab - text), 126); /* 63 whole characters */
    ck_assert_int_eq((unsigned char)tab[-1], 0xa9);
    free(text);
    sessions_close(&s);
}
END_TEST

START_TEST(full_table_is_an_error_not_a_crash)
{
    char path[512];
    snprintf(path, sizeof path, "%s/users", dir);
    struct sessions s;
    struct dp_err err = {0};
    ck_assert_int_eq(sessions_open(&s, path, &err), 0);
    for (int i = 0; i < SESSIONS_MAX; i++)
        ck_assert_int_gt(sessions_add(&s, "u", "", i, &err), 0);
    ck_assert_int_eq(sessions_add(&s, "one-too-many", "", 0, &err), -1);
    ck_assert(err.set);
    sessions_close(&s);
}
END_TEST

START_TEST(sam_lines_are_checked_like_winpr_reads_them)
{
    const char *hash = "878d8014606cda29677a44efa1353fc7";
    char text[1024];
    snprintf(text, sizeof text,
             "alice:::%s:::\n"      /* winpr-hash and deskpool-guestd write this */
             "bob:LAB:%s:%s:::\r\n" /* with a domain and an LM hash, CRLF */
             ":::%s:::\n"           /* no user */
             "carol:::abc:::\n"     /* NT hash too short */
             "dave:::%.31sZ:::\n"   /* not hex */
             "erin:::%s\n"          /* too few colons */
             "\n"
             "# comment\n",
             hash, hash, hash, hash, hash, hash);
    ck_assert_int_eq(sam_count_usable(text, strlen(text)), 2);
    ck_assert_int_eq(sam_count_usable("", 0), 0);
    /* Exactly four colons is enough for WinPR. */
    char four[64];
    snprintf(four, sizeof four, "frank:::%s:", hash);
    ck_assert_int_eq(sam_count_usable(four, strlen(four)), 1);
}
END_TEST

START_TEST(sam_file_missing_or_empty)
{
    char path[512];
    struct dp_err err = {0};
    snprintf(path, sizeof path, "%s/sam", dir);
    ck_assert_int_eq(sam_check_file(path, &err), -1);
    ck_assert(strstr(dp_err_msg(&err), path) != NULL);
    dp_err_clear(&err);
    ck_assert_int_eq(dp_write_file_atomic(path, "", 0, 0600, &err), 0);
    ck_assert_int_eq(sam_check_file(path, &err), 0);
    const char *line = "alice:::878d8014606cda29677a44efa1353fc7:::\n";
    ck_assert_int_eq(dp_write_file_atomic(path, line, strlen(line), 0600, &err), 0);
    ck_assert_int_eq(sam_check_file(path, &err), 1);
}
END_TEST

START_TEST(certificate_is_generated_once_with_a_private_key)
{
    char state[512], crt[600], key[600];
    struct dp_err err = {0};
    snprintf(state, sizeof state, "%s/state", dir);
    ck_assert_int_eq(cert_ensure(state, "vm-test", crt, key, sizeof crt, &err), 1);
    struct stat st;
    ck_assert_int_eq(stat(key, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    FILE *f = fopen(crt, "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    f = fopen(key, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(pk);
    ck_assert_int_eq(EVP_PKEY_get_bits(pk), 2048);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
    ck_assert_int_eq(X509_check_private_key(x, pk), 1);
    ck_assert_int_eq(X509_verify(x, pk), 1); /* self-signed */
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    ck_assert_str_eq(cn, "vm-test");
    X509_free(x);
    EVP_PKEY_free(pk);

    /* A second start reuses the pair; losing the key makes a new pair. */
    char *before = slurp(crt);
    ck_assert_int_eq(cert_ensure(state, "vm-test", crt, key, sizeof crt, &err), 0);
    char *same = slurp(crt);
    ck_assert_str_eq(before, same);
    unlink(key);
    ck_assert_int_eq(cert_ensure(state, "vm-test", crt, key, sizeof crt, &err), 1);
    char *after = slurp(crt);
    ck_assert_str_ne(before, after);
    free(before);
    free(same);
    free(after);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("desktop_files");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60); /* RSA key generation */
    tcase_add_test(tc, format_writes_one_tab_separated_line_per_session);
    tcase_add_test(tc, format_neutralises_control_characters);
    tcase_add_test(tc, users_file_follows_logins_and_logoffs);
    tcase_add_test(tc, sessions_disconnect_resume_and_log_off);
    tcase_add_test(tc, long_names_are_cut_between_utf8_characters);
    tcase_add_test(tc, full_table_is_an_error_not_a_crash);
    tcase_add_test(tc, sam_lines_are_checked_like_winpr_reads_them);
    tcase_add_test(tc, sam_file_missing_or_empty);
    tcase_add_test(tc, certificate_is_generated_once_with_a_private_key);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
