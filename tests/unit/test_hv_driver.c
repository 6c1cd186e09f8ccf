/* SPDX-License-Identifier: Apache-2.0 */
/* The QEMU driver's pure parts: command line, accelerator choice, names, spec files. */
#include "err.h"
#include "hv.h"
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

/* The value following `opt` in argv whose text contains `needle`, or NULL. */
static const char *find_opt(struct qemu_argv *a, const char *opt, const char *needle)
{
    for (int i = 0; i + 1 < a->argc; i++)
        if (strcmp(a->argv[i], opt) == 0 && strstr(a->argv[i + 1], needle))
            return a->argv[i + 1];
    return NULL;
}

START_TEST(argv_user_net_is_restricted_and_forwards_rdp_on_loopback)
{
    struct hv_vm_spec s;
    hv_spec_init(&s);
    snprintf(s.name, sizeof s.name, "lab-001");
    s.rdp_port = 43390;
    struct hv_vm_paths p = paths_for("/st/vms/lab-001");
    static struct qemu_argv a;
    struct dp_err err = {0};
    ck_assert_int_eq(qemu_argv_build(&a, "/usr/bin/qemu-system-x86_64", &s, &p, HV_ACCEL_TCG, &err),
                     0);
    ck_assert_ptr_nonnull(
        find_opt(&a, "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:43390-:3389"));
    ck_assert_ptr_nonnull(find_opt(&a, "-accel", "tcg"));
    ck_assert_ptr_nonnull(find_opt(&a, "-qmp", "unix:/st/vms/lab-001/qmp.sock"));
    ck_assert_ptr_nonnull(find_opt(&a, "-device", "name=org.qemu.guest_agent.0"));
    ck_assert_ptr_nonnull(find_opt(&a, "-chardev", "path=/st/vms/lab-001/qga.sock"));
    ck_assert_ptr_nonnull(find_opt(&a, "-pidfile", "/st/vms/lab-001/qemu.pid"));
    ck_assert_ptr_nonnull(find_opt(&a, "-sandbox", "on"));
    ck_assert_ptr_nonnull(find_opt(&a, "-serial", "file:/st/vms/lab-001/serial.log"));
    ck_assert_ptr_nonnull(find_opt(&a, "-drive", "file=/st/vms/lab-001/disk.qcow2"));
    ck_assert_ptr_null(find_opt(&a, "-kernel", ""));
    int daemonize = 0;
    for (int i = 0; i < a.argc; i++)
        daemonize |= strcmp(a.argv[i], "-daemonize") == 0;
    ck_assert(daemonize);
    ck_assert_ptr_null(a.argv[a.argc]);
}
END_TEST

START_TEST(argv_bridge_and_direct_boot)
{
    struct hv_vm_spec s;
    hv_spec_init(&s);
    snprintf(s.name, sizeof s.name, "b");
    s.net = HV_NET_BRIDGE;
    snprintf(s.bridge, sizeof s.bridge, "br0");
    snprintf(s.kernel, sizeof s.kernel, "/t/vmlinuz");
    snprintf(s.initrd, sizeof s.initrd, "/t/initrd.img");
    snprintf(s.append, sizeof s.append, "console=ttyS0 root=/dev/vda");
    s.vcpus = 2;
    s.memory_mb = 512;
    struct hv_vm_paths p = paths_for("/st/vms/b");
    static struct qemu_argv a;
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &s, &p, HV_ACCEL_KVM, NULL), 0);
    ck_assert_ptr_nonnull(find_opt(&a, "-netdev", "bridge,id=n0,br=br0"));
    ck_assert_ptr_nonnull(find_opt(&a, "-accel", "kvm"));
    ck_assert_ptr_nonnull(find_opt(&a, "-kernel", "/t/vmlinuz"));
    ck_assert_ptr_nonnull(find_opt(&a, "-initrd", "/t/initrd.img"));
    ck_assert_ptr_nonnull(find_opt(&a, "-append", "root=/dev/vda"));
    ck_assert_ptr_nonnull(find_opt(&a, "-smp", "2"));
    ck_assert_ptr_nonnull(find_opt(&a, "-m", "512"));
}
END_TEST

START_TEST(argv_refuses_commas_in_paths)
{
    struct hv_vm_spec s;
    hv_spec_init(&s);
    snprintf(s.name, sizeof s.name, "x");
    snprintf(s.kernel, sizeof s.kernel, "/a,b/vmlinuz");
    struct hv_vm_paths p = paths_for("/st/vms/x");
    static struct qemu_argv a;
    struct dp_err err = {0};
    ck_assert_int_eq(qemu_argv_build(&a, "qemu", &s, &p, HV_ACCEL_TCG, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "comma"));
}
END_TEST

static char *write_tmp(const char *content)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/dp-test-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

START_TEST(accel_auto_needs_device_and_cpu_flags)
{
    char cpu_virt[64], cpu_plain[64];
    snprintf(cpu_virt, sizeof cpu_virt, "%s", write_tmp("flags\t\t: fpu vme sse2 vmx avx\n"));
    snprintf(cpu_plain, sizeof cpu_plain, "%s", write_tmp("flags\t\t: fpu vme sse2 avx\n"));
    /* /dev/null opens read-write like a working /dev/kvm would. */
    ck_assert_int_eq(hv_accel_resolve(HV_ACCEL_AUTO, cpu_virt, "/dev/null"), HV_ACCEL_KVM);
    /* The paravirtual nested /dev/kvm case: device opens, no vmx/svm -> TCG. */
    ck_assert_int_eq(hv_accel_resolve(HV_ACCEL_AUTO, cpu_plain, "/dev/null"), HV_ACCEL_TCG);
    ck_assert_int_eq(hv_accel_resolve(HV_ACCEL_AUTO, cpu_virt, "/nonexistent/kvm"), HV_ACCEL_TCG);
    ck_assert_int_eq(hv_accel_resolve(HV_ACCEL_KVM, cpu_plain, "/nonexistent"), HV_ACCEL_KVM);
    unlink(cpu_virt);
    unlink(cpu_plain);
    enum hv_accel a;
    ck_assert_int_eq(hv_accel_parse("tcg", &a), 0);
    ck_assert_int_eq(a, HV_ACCEL_TCG);
    ck_assert_int_eq(hv_accel_parse("xen", &a), -1);
}
END_TEST

START_TEST(accel_auto_on_this_host_is_tcg_without_vmx)
{
    /* The build machines have a /dev/kvm without vmx/svm; auto must not pick it. */
    FILE *f = popen("grep -qwE 'vmx|svm' /proc/cpuinfo && echo virt", "r");
    char buf[16] = "";
    ck_assert_ptr_nonnull(f);
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    pclose(f);
    if (strncmp(buf, "virt", 4) != 0)
        ck_assert_int_eq(hv_accel_resolve(HV_ACCEL_AUTO, "/proc/cpuinfo", "/dev/kvm"),
                         HV_ACCEL_TCG);
}
END_TEST

START_TEST(names)
{
    ck_assert(hv_name_valid("lab-001"));
    ck_assert(hv_name_valid("a_b"));
    ck_assert(!hv_name_valid(""));
    ck_assert(!hv_name_valid("-x"));
    ck_assert(!hv_name_valid("A"));
    ck_assert(!hv_name_valid("a/b"));
    ck_assert(!hv_name_valid("../etc"));
    ck_assert(!hv_name_valid("a b"));
}
END_TEST

START_TEST(spec_round_trip_and_corrupt_file)
{
    struct hv_vm_spec s, back;
    hv_spec_init(&s);
    snprintf(s.name, sizeof s.name, "vm-7");
    snprintf(s.base, sizeof s.base, "/t/base.qcow2");
    s.rdp_port = 40001;
    s.has_rdp = 1;
    s.accel = HV_ACCEL_TCG;
    char path[] = "/tmp/dp-spec-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct dp_err err = {0};
    ck_assert_int_eq(hv_spec_save(&s, path, &err), 0);
    ck_assert_int_eq(hv_spec_load(&back, path, &err), 0);
    ck_assert_str_eq(back.name, "vm-7");
    ck_assert_str_eq(back.base, "/t/base.qcow2");
    ck_assert_int_eq(back.rdp_port, 40001);
    ck_assert_int_eq(back.has_rdp, 1);
    ck_assert_int_eq(back.restrict_net, 1);
    ck_assert_int_eq(back.accel, HV_ACCEL_TCG);

    FILE *f = fopen(path, "w");
    fputs("{\"name\": \"vm-7\", \"vcpus\": ", f);
    fclose(f);
    dp_err_clear(&err);
    ck_assert_int_eq(hv_spec_load(&back, path, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not valid JSON"));

    f = fopen(path, "w");
    fputs("{\"name\": \"../evil\", \"vcpus\": 1, \"memory_mb\": 256}", f);
    fclose(f);
    dp_err_clear(&err);
    ck_assert_int_eq(hv_spec_load(&back, path, &err), -1);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv_driver");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, argv_user_net_is_restricted_and_forwards_rdp_on_loopback);
    tcase_add_test(tc, argv_bridge_and_direct_boot);
    tcase_add_test(tc, argv_refuses_commas_in_paths);
    tcase_add_test(tc, accel_auto_needs_device_and_cpu_flags);
    tcase_add_test(tc, accel_auto_on_this_host_is_tcg_without_vmx);
    tcase_add_test(tc, names);
    tcase_add_test(tc, spec_round_trip_and_corrupt_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
