/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instant clones, pure parts: the command line a parent and its clones get, the guest ABI
 * that must match for a saved state to load, the compatibility verdict and its reasons,
 * parent meta.json and the spec fields clones add.
 */
#include "err.h"
#include "hv.h"
#include "parent_meta.h"
#include "qemu_argv.h"
#include "spec_json.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct hv_vm_paths paths_for(const char *dir)
{
    struct hv_vm_paths p;
    memset(&p, 0, sizeof p);
    snprintf(p.dir, sizeof p.dir, "%s", dir);
    snprintf(p.disk, sizeof p.disk, "%s/disk.qcow2", dir);
    snprintf(p.qmp, sizeof p.qmp, "%s/qmp.sock", dir);
    snprintf(p.qga, sizeof p.qga, "%s/qga.sock", dir);
    snprintf(p.serial, sizeof p.serial, "%s/serial.log", dir);
    snprintf(p.pidfile, sizeof p.pidfile, "%s/qemu.pid", dir);
    return p;
}

static void tiny_spec(struct hv_vm_spec *s, const char *name)
{
    hv_spec_init(s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->kernel, sizeof s->kernel, "/st/templates/tiny/1/vmlinuz");
    snprintf(s->initrd, sizeof s->initrd, "/st/templates/tiny/1/initrd.img");
    snprintf(s->append, sizeof s->append, "console=ttyS0 root=/dev/vda rw");
    s->has_rdp = 1;
}

/* The parent as parent_build runs it, and a clone as hv_instant_define makes it. */
static void parent_and_clone(struct hv_vm_spec *par, struct hv_vm_spec *cl)
{
    tiny_spec(par, "parent-tiny-1");
    qemu_mac_for(par->name, par->mac);
    snprintf(par->mem_file, sizeof par->mem_file, "/st/parents/.build-tiny-1-k/ram");
    par->mem_shared = 1;
    par->rdp_port = 40001;
    *cl = *par;
    snprintf(cl->name, sizeof cl->name, "lab-007");
    snprintf(cl->mem_file, sizeof cl->mem_file, "/st/parents/tiny-1-k/ram");
    snprintf(cl->incoming, sizeof cl->incoming, "/st/parents/tiny-1-k/state");
    snprintf(cl->base, sizeof cl->base, "/st/parents/tiny-1-k/disk.qcow2");
    cl->mem_shared = 0;
    cl->rdp_port = 43391;
}

static void abi_of(const struct hv_vm_spec *s, const char *dir, char *abi)
{
    static struct qemu_argv a;
    struct hv_vm_paths p = paths_for(dir);
    struct dp_err err = {0};
    ck_assert_msg(qemu_argv_build(&a, "qemu", s, &p, HV_ACCEL_TCG, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(parent_abi(&a, abi, PARENT_ABI_MAX), 0);
}

static const char *find_opt(struct qemu_argv *a, const char *opt, const char *needle)
{
    for (int i = 0; i + 1 < a->argc; i++)
        if (strcmp(a->argv[i], opt) == 0 && strstr(a->argv[i + 1], needle))
            return a->argv[i + 1];
    return NULL;
}

START_TEST(parent_maps_ram_shared_clone_private_and_defers_incoming)
{
    struct hv_vm_spec par, cl;
    parent_and_clone(&par, &cl);
    static struct qemu_argv a;
    struct hv_vm_paths p = paths_for("/st/vms/lab-007");
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &par, &p, HV_ACCEL_TCG, NULL), 0);
    ck_assert_ptr_nonnull(find_opt(&a, "-object", "mem-path=/st/parents/.build-tiny-1-k/ram"));
    ck_assert_ptr_nonnull(find_opt(&a, "-object", "share=on"));
    ck_assert_ptr_nonnull(find_opt(&a, "-object", "size=256M"));
    ck_assert_ptr_nonnull(find_opt(&a, "-machine", "pc,memory-backend=ram0"));
    ck_assert_ptr_null(find_opt(&a, "-incoming", ""));
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &cl, &p, HV_ACCEL_TCG, NULL), 0);
    ck_assert_ptr_nonnull(find_opt(&a, "-object", "share=off"));
    /* x-ignore-shared has no command-line switch in QEMU 7.2: the load waits for QMP. */
    ck_assert_ptr_nonnull(find_opt(&a, "-incoming", "defer"));
    /* The clone keeps the parent's MAC, not one hashed from its own name. */
    ck_assert_ptr_nonnull(find_opt(&a, "-device", par.mac));
    char own[18];
    qemu_mac_for("lab-007", own);
    ck_assert_ptr_null(find_opt(&a, "-device", own));
    ck_assert_ptr_nonnull(find_opt(&a, "-netdev", "hostfwd=tcp:127.0.0.1:43391-:3389"));
}
END_TEST

START_TEST(plain_vm_command_line_is_unchanged)
{
    struct hv_vm_spec s;
    tiny_spec(&s, "lab-001");
    snprintf(s.incoming, sizeof s.incoming, "/x/state");
    static struct qemu_argv a;
    struct hv_vm_paths p = paths_for("/st/vms/lab-001");
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &s, &p, HV_ACCEL_TCG, NULL), 0);
    ck_assert_ptr_nonnull(find_opt(&a, "-machine", "pc"));
    ck_assert_ptr_null(find_opt(&a, "-machine", "memory-backend"));
    ck_assert_ptr_null(find_opt(&a, "-object", ""));
    ck_assert_ptr_nonnull(find_opt(&a, "-incoming", "exec:cat /x/state"));
    char mac[18];
    qemu_mac_for("lab-001", mac);
    ck_assert_ptr_nonnull(find_opt(&a, "-device", mac));
}
END_TEST

START_TEST(bad_mac_and_comma_in_memory_file_are_refused)
{
    struct hv_vm_spec s;
    tiny_spec(&s, "x");
    snprintf(s.mac, sizeof s.mac, "52:54:00:12:34,5");
    static struct qemu_argv a;
    struct hv_vm_paths p = paths_for("/st/vms/x");
    struct dp_err err = {0};
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &s, &p, HV_ACCEL_TCG, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "MAC"));
    s.mac[0] = '\0';
    snprintf(s.mem_file, sizeof s.mem_file, "/a,b/ram");
    dp_err_clear(&err);
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &s, &p, HV_ACCEL_TCG, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "comma"));
    ck_assert(qemu_mac_valid("52:54:00:ab:CD:09"));
    ck_assert(!qemu_mac_valid("52:54:00:ab:cd"));
    ck_assert(!qemu_mac_valid("52-54-00-ab-cd-09"));
}
END_TEST

START_TEST(abi_ignores_host_side_differences)
{
    struct hv_vm_spec par, cl;
    parent_and_clone(&par, &cl);
    static char a[PARENT_ABI_MAX], b[PARENT_ABI_MAX];
    abi_of(&par, "/st/vms/parent-tiny-1", a);
    abi_of(&cl, "/st/vms/lab-007", b);
    ck_assert_str_eq(a, b);
    /* What the guest sees is in it; host paths, sockets and ports are not. */
    ck_assert_ptr_nonnull(strstr(a, "-m 256\n"));
    ck_assert_ptr_nonnull(strstr(a, "-device virtio-net-pci,netdev=n0,mac="));
    ck_assert_ptr_nonnull(strstr(a, "memory-backend-file,id=ram0,size=256M\n"));
    ck_assert_ptr_null(strstr(a, "/st/vms"));
    ck_assert_ptr_null(strstr(a, "hostfwd"));
    ck_assert_ptr_null(strstr(a, "-incoming"));
    struct hv_parent_meta m = {0};
    snprintf(m.qemu_version, sizeof m.qemu_version, "7.2.22");
    snprintf(m.abi, sizeof m.abi, "%s", a);
    char why[512] = "";
    ck_assert_int_eq(parent_compat(&m, "7.2.22", b, why, sizeof why), 1);
}
END_TEST

START_TEST(compat_names_what_changed)
{
    struct hv_vm_spec par, cl;
    parent_and_clone(&par, &cl);
    static char a[PARENT_ABI_MAX], b[PARENT_ABI_MAX];
    abi_of(&par, "/p", a);
    struct hv_parent_meta m = {0};
    snprintf(m.qemu_version, sizeof m.qemu_version, "7.2.22");
    snprintf(m.abi, sizeof m.abi, "%s", a);
    char why[512];

    ck_assert_int_eq(parent_compat(&m, "8.0.0", a, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "QEMU version differs: parent saved by 7.2.22"));

    cl.memory_mb = 512;
    abi_of(&cl, "/c", b);
    ck_assert_int_eq(parent_compat(&m, "7.2.22", b, why, sizeof why), 0);
    ck_assert_msg(strstr(why, "memory size differs") || strstr(why, "size=512M"), "%s", why);

    parent_and_clone(&par, &cl);
    cl.vcpus = 2;
    abi_of(&cl, "/c", b);
    ck_assert_int_eq(parent_compat(&m, "7.2.22", b, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "vCPU count differs"));

    /* A clone with a MAC of its own would not match the NIC state the guest was saved with. */
    parent_and_clone(&par, &cl);
    cl.mac[0] = '\0';
    abi_of(&cl, "/c", b);
    ck_assert_int_eq(parent_compat(&m, "7.2.22", b, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "device set differs"));

    /* A clone booting without the RAM file is different hardware too. */
    parent_and_clone(&par, &cl);
    cl.mem_file[0] = '\0';
    abi_of(&cl, "/c", b);
    ck_assert_int_eq(parent_compat(&m, "7.2.22", b, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "memory backend differs"));
}
END_TEST

START_TEST(key_changes_with_qemu_and_hardware)
{
    char k1[17], k2[17], k3[17];
    parent_key("7.2.22", "-m 256\n", k1);
    parent_key("7.2.23", "-m 256\n", k2);
    parent_key("7.2.22", "-m 512\n", k3);
    ck_assert_int_eq(strlen(k1), 16);
    ck_assert_str_ne(k1, k2);
    ck_assert_str_ne(k1, k3);
    parent_key("7.2.22", "-m 256\n", k2);
    ck_assert_str_eq(k1, k2);
}
END_TEST

START_TEST(meta_round_trip_and_damaged_meta)
{
    struct hv_parent_meta m = {0}, back;
    snprintf(m.template_name, sizeof m.template_name, "tiny");
    m.template_version = 3;
    snprintf(m.template_sha256, sizeof m.template_sha256, "%064d", 7);
    snprintf(m.key, sizeof m.key, "0123456789abcdef");
    snprintf(m.qemu_version, sizeof m.qemu_version, "7.2.22");
    snprintf(m.machine, sizeof m.machine, "pc-i440fx-7.2");
    snprintf(m.mac, sizeof m.mac, "52:54:00:01:02:03");
    snprintf(m.abi, sizeof m.abi, "-machine pc\n-m 256\n");
    snprintf(m.state_sha256, sizeof m.state_sha256, "%064d", 1);
    snprintf(m.disk_sha256, sizeof m.disk_sha256, "%064d", 2);
    snprintf(m.ram_sha256, sizeof m.ram_sha256, "%064d", 3);
    m.memory_mb = 256;
    m.vcpus = 1;
    m.state_size = 755219;
    m.ram_size = 268435456;
    m.ram_mtime_ns = 1795701172123456789LL;
    m.disk_size = 458752;
    char path[] = "/tmp/dp-meta-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(path); /* parent_meta_save writes 0444 via rename */
    struct dp_err err = {0};
    ck_assert_msg(parent_meta_save(&m, path, &err) == 0, "%s", err.msg);
    ck_assert_msg(parent_meta_load(&back, path, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(back.abi, m.abi);
    ck_assert_str_eq(back.mac, m.mac);
    ck_assert_str_eq(back.machine, m.machine);
    ck_assert_int_eq(back.ram_mtime_ns, m.ram_mtime_ns);
    ck_assert_int_eq(back.state_size, m.state_size);
    ck_assert_int_eq(back.template_version, 3);
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs("{\"template\": \"tiny\"}", f);
    fclose(f);
    ck_assert_int_eq(parent_meta_load(&back, path, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "parent build --force"));
    unlink(path);
}
END_TEST

START_TEST(spec_keeps_clone_fields)
{
    struct hv_vm_spec par, cl, back;
    parent_and_clone(&par, &cl);
    char path[] = "/tmp/dp-spec-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct dp_err err = {0};
    ck_assert_int_eq(hv_spec_save(&cl, path, &err), 0);
    ck_assert_msg(hv_spec_load(&back, path, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(back.mac, cl.mac);
    ck_assert_str_eq(back.mem_file, cl.mem_file);
    ck_assert_int_eq(back.mem_shared, 0);
    ck_assert_str_eq(back.incoming, cl.incoming);
    ck_assert_int_eq(hv_spec_save(&par, path, &err), 0);
    ck_assert_int_eq(hv_spec_load(&back, path, &err), 0);
    ck_assert_int_eq(back.mem_shared, 1);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("instant_compat");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parent_maps_ram_shared_clone_private_and_defers_incoming);
    tcase_add_test(tc, plain_vm_command_line_is_unchanged);
    tcase_add_test(tc, bad_mac_and_comma_in_memory_file_are_refused);
    tcase_add_test(tc, abi_ignores_host_side_differences);
    tcase_add_test(tc, compat_names_what_changed);
    tcase_add_test(tc, key_changes_with_qemu_and_hardware);
    tcase_add_test(tc, meta_round_trip_and_damaged_meta);
    tcase_add_test(tc, spec_keeps_clone_fields);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
