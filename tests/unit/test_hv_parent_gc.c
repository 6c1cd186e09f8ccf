/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instant-clone parent clean-up: which parents go (superseded, of a deleted template
 * version, or unused on request) and that a parent a VM's disk chains on is never removed.
 * Parent folders are laid out by hand in a temporary state directory: only their meta.json
 * and the VMs' specs matter to the decision.
 */
#include "err.h"
#include "files.h"
#include "hv.h"
#include "parent.h"
#include "parent_gc.h"
#include "parent_meta.h"
#include "spec_json.h"
#include "store.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char state[64];
static struct hv *hv;
static struct tpl_version v1;
static char current[4096];

static void make_parent(const char *dir, const char *tpl, int version)
{
    struct dp_err err = {0};
    ck_assert_int_eq(dp_mkdirs(dir, 0750, &err), 0);
    struct hv_parent_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.template_name, sizeof m.template_name, "%s", tpl);
    m.template_version = version;
    snprintf(m.qemu_version, sizeof m.qemu_version, "7.2.0");
    m.memory_mb = 256;
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    ck_assert_msg(parent_meta_save(&m, path, &err) == 0, "%s", dp_err_msg(&err));
    snprintf(path, sizeof path, "%s/ram", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    char block[4096] = {1};
    for (int i = 0; i < 256; i++) /* 1 MiB, written so it takes disk blocks */
        fwrite(block, 1, sizeof block, f);
    fclose(f);
}

/* A VM whose disk chains on the parent in dir. */
static void make_clone(const char *vm, const char *dir)
{
    char vdir[256], path[300];
    struct dp_err err = {0};
    snprintf(vdir, sizeof vdir, "%s/vms/%s", state, vm);
    ck_assert_int_eq(dp_mkdirs(vdir, 0750, &err), 0);
    struct hv_vm_spec s;
    hv_spec_init(&s);
    snprintf(s.name, sizeof s.name, "%s", vm);
    snprintf(s.base, sizeof s.base, "%s/disk.qcow2", dir);
    snprintf(path, sizeof path, "%s/spec.json", vdir);
    ck_assert_msg(hv_spec_save(&s, path, &err) == 0, "%s", dp_err_msg(&err));
}

static void setup(void)
{
    snprintf(state, sizeof state, "/tmp/dp-pgc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(state));
    struct dp_err err = {0};
    hv = hv_qemu_open(state, &err);
    ck_assert_msg(hv != NULL, "%s", dp_err_msg(&err));
    memset(&v1, 0, sizeof v1);
    snprintf(v1.name, sizeof v1.name, "tiny");
    v1.version = 1;
    snprintf(v1.base, sizeof v1.base, "%s/templates/tiny/1/base.qcow2", state);
    snprintf(v1.kernel, sizeof v1.kernel, "%s/templates/tiny/1/vmlinuz", state);
    snprintf(v1.append, sizeof v1.append, "console=ttyS0");
    v1.memory_mb = 256;
    v1.has_rdp = 1;
    struct hv_vm_spec spec;
    ck_assert_msg(hv_parent_dir_for(hv, &v1, &spec, current, sizeof current, &err) == 0, "%s",
                  dp_err_msg(&err));
    char d[4200];
    make_parent(current, "tiny", 1);
    snprintf(d, sizeof d, "%s/parents/tiny-1-0000000000000000", state); /* old QEMU */
    make_parent(d, "tiny", 1);
    snprintf(d, sizeof d, "%s/parents/tiny-1-1111111111111111", state); /* old, still used */
    make_parent(d, "tiny", 1);
    make_clone("desk-001", d);
    snprintf(d, sizeof d, "%s/parents/tiny-0-2222222222222222", state); /* deleted version */
    make_parent(d, "tiny", 0);
    snprintf(d, sizeof d, "%s/parents/win-4-3333333333333333", state); /* another template */
    make_parent(d, "win", 4);
}

static void teardown(void)
{
    hv->ops->close(hv);
    struct dp_err err = {0};
    dp_remove_tree(state, &err);
}

static int exists(const char *leaf)
{
    char d[4200];
    snprintf(d, sizeof d, "%s/parents/%s", state, leaf);
    return access(d, F_OK) == 0;
}

START_TEST(decide_never_removes_a_used_parent)
{
    for (int live = 0; live < 2; live++)
        for (int cur = 0; cur < 2; cur++)
            for (int all = 0; all < 2; all++)
                ck_assert_int_eq(parent_gc_decide(1, live, cur, all), PARENT_KEEP);
    ck_assert_int_eq(parent_gc_decide(0, 0, 0, 0), PARENT_GONE);
    ck_assert_int_eq(parent_gc_decide(0, 1, 0, 0), PARENT_SUPERSEDED);
    ck_assert_int_eq(parent_gc_decide(0, 1, 1, 0), PARENT_KEEP);
    ck_assert_int_eq(parent_gc_decide(0, 1, 1, 1), PARENT_UNUSED);
}
END_TEST

START_TEST(gc_removes_superseded_and_gone_keeps_used_and_current)
{
    struct dp_err err = {0};
    struct parent_gc_removed *rm = NULL;
    size_t n = 0;
    /* Dry run: the verdicts, nothing touched. */
    ck_assert_msg(hv_parent_gc(hv, &v1, 1, 0, 0, 1, &rm, &n, &err) == 0, "%s", dp_err_msg(&err));
    ck_assert_uint_eq(n, 3); /* tiny-1-000 superseded, tiny-0 and win-4 gone */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_ge(rm[i].bytes, 1 << 20);
    free(rm);
    ck_assert(exists("tiny-1-0000000000000000") && exists("win-4-3333333333333333"));

    ck_assert_msg(hv_parent_gc(hv, &v1, 1, 0, 0, 0, &rm, &n, &err) == 0, "%s", dp_err_msg(&err));
    free(rm);
    ck_assert_uint_eq(n, 3);
    ck_assert(!exists("tiny-1-0000000000000000"));
    ck_assert(!exists("tiny-0-2222222222222222"));
    ck_assert(!exists("win-4-3333333333333333"));
    ck_assert(exists("tiny-1-1111111111111111")); /* desk-001's disk chains on it */
    ck_assert_int_eq(access(current, F_OK), 0);   /* where the next clone goes */

    /* --all-unused: the current one goes too (rebuilt on demand); the used one never. */
    ck_assert_int_eq(hv_parent_gc(hv, &v1, 1, 0, 1, 0, NULL, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_ne(access(current, F_OK), 0);
    ck_assert(exists("tiny-1-1111111111111111"));
}
END_TEST

START_TEST(gc_after_a_build_judges_only_that_version)
{
    struct dp_err err = {0};
    size_t n = 0;
    /* What hv_parent_ensure() runs after building v1's parent: other versions and other
     * templates are not its business (a pool may pin them). */
    ck_assert_int_eq(hv_parent_gc(hv, &v1, 1, 1, 0, 0, NULL, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert(!exists("tiny-1-0000000000000000"));
    ck_assert(exists("tiny-0-2222222222222222"));
    ck_assert(exists("win-4-3333333333333333"));
    ck_assert(exists("tiny-1-1111111111111111"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv_parent_gc");
    TCase *tc = tcase_create("gc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, decide_never_removes_a_used_parent);
    tcase_add_test(tc, gc_removes_superseded_and_gone_keeps_used_and_current);
    tcase_add_test(tc, gc_after_a_build_judges_only_that_version);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
