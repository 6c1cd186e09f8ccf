/* SPDX-License-Identifier: Apache-2.0 */
/* Template store and overlays with the real qemu-img: imports, immutability, corruption. */
#include "err.h"
#include "files.h"
#include "overlay.h"
#include "store.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char state[64];
static char raw[128];

static void setup(void)
{
    snprintf(state, sizeof state, "/tmp/dp-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(state));
    snprintf(raw, sizeof raw, "%s/disk.raw", state);
    /* A small raw disk with recognisable content. */
    FILE *f = fopen(raw, "w");
    for (int i = 0; i < 4096; i++)
        fprintf(f, "deskpool block %06d\n", i);
    fclose(f);
}

static void teardown(void)
{
    dp_remove_tree(state, NULL);
}

START_TEST(import_converts_reads_only_and_makes_base_read_only)
{
    char before[65], after[65];
    struct dp_err err = {0};
    ck_assert_int_eq(dp_sha256_file(raw, before, &err), 0);
    struct tpl_import_opts o = {.memory_mb = 128};
    struct tpl_version v;
    ck_assert_msg(store_import(state, "win", raw, &o, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v.version, 1);
    ck_assert_int_eq(v.memory_mb, 128);
    ck_assert_int_eq(dp_sha256_file(raw, after, &err), 0);
    ck_assert_str_eq(before, after);
    char fmt[32];
    ck_assert_int_eq(overlay_image_format("qemu-img", v.base, fmt, sizeof fmt, &err), 0);
    ck_assert_str_eq(fmt, "qcow2");
    struct stat st;
    ck_assert_int_eq(stat(v.base, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0444);
    ck_assert_int_eq(store_verify(&v, &err), 0);
}
END_TEST

START_TEST(same_image_reused_changed_image_new_version)
{
    struct dp_err err = {0};
    struct tpl_import_opts o = {.reuse_same = 1};
    struct tpl_version v1, v2, v3;
    ck_assert_int_eq(store_import(state, "t", raw, &o, &v1, &err), 0);
    ck_assert_int_eq(store_import(state, "t", raw, &o, &v2, &err), 0);
    ck_assert_int_eq(v2.version, v1.version);
    FILE *f = fopen(raw, "a");
    fputs("changed\n", f);
    fclose(f);
    ck_assert_int_eq(store_import(state, "t", raw, &o, &v3, &err), 0);
    ck_assert_int_eq(v3.version, 2);
    struct tpl_version *all;
    size_t n;
    ck_assert_int_eq(store_list(state, &all, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    free(all);
    struct tpl_version latest;
    ck_assert_int_eq(store_get(state, "t", 0, &latest, &err), 0);
    ck_assert_int_eq(latest.version, 2);
}
END_TEST

START_TEST(truncated_or_altered_base_is_reported)
{
    struct dp_err err = {0};
    struct tpl_import_opts o = {0};
    struct tpl_version v;
    ck_assert_int_eq(store_import(state, "t", raw, &o, &v, &err), 0);
    chmod(v.base, 0644);
    ck_assert_int_eq(truncate(v.base, 1000), 0);
    struct tpl_version again;
    dp_err_clear(&err);
    ck_assert_int_eq(store_get(state, "t", 1, &again, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
    dp_err_clear(&err);
    ck_assert_int_eq(store_get(state, "nosuch", 0, &again, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no template named"));
}
END_TEST

START_TEST(overlay_on_non_qcow2_base_is_refused_and_leaves_nothing)
{
    struct dp_err err = {0};
    char ovl[160];
    snprintf(ovl, sizeof ovl, "%s/ovl.qcow2", state);
    ck_assert_int_eq(overlay_create("qemu-img", raw, ovl, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not qcow2"));
    ck_assert(!dp_path_exists(ovl));
    dp_err_clear(&err);
    ck_assert_int_eq(overlay_create("qemu-img", "/nonexistent/base.qcow2", ovl, &err), -1);
    ck_assert(!dp_path_exists(ovl));
}
END_TEST

START_TEST(import_of_missing_file_fails_cleanly)
{
    struct dp_err err = {0};
    struct tpl_import_opts o = {0};
    struct tpl_version v;
    ck_assert_int_eq(store_import(state, "t", "/nonexistent.img", &o, &v, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent.img"));
    char tdir[128];
    snprintf(tdir, sizeof tdir, "%s/templates/t/1", state);
    ck_assert(!dp_path_exists(tdir));
}
END_TEST

START_TEST(refs)
{
    char name[64];
    int v;
    ck_assert_int_eq(store_parse_ref("tiny", name, sizeof name, &v), 0);
    ck_assert_str_eq(name, "tiny");
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(store_parse_ref("tiny:3", name, sizeof name, &v), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(store_parse_ref("tiny:x", name, sizeof name, &v), -1);
    ck_assert_int_eq(store_parse_ref(":3", name, sizeof name, &v), -1);
    ck_assert_int_eq(store_parse_ref("../x", name, sizeof name, &v), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, import_converts_reads_only_and_makes_base_read_only);
    tcase_add_test(tc, same_image_reused_changed_image_new_version);
    tcase_add_test(tc, truncated_or_altered_base_is_reported);
    tcase_add_test(tc, overlay_on_non_qcow2_base_is_refused_and_leaves_nothing);
    tcase_add_test(tc, import_of_missing_file_fails_cleanly);
    tcase_add_test(tc, refs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
