/* SPDX-License-Identifier: Apache-2.0 */
/* Plain facts about VM specs: defaults, names, state names, accelerator choice. */
#include "hv.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void hv_spec_init(struct hv_vm_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->vcpus = 1;
    spec->memory_mb = 256;
    spec->net = HV_NET_USER;
    spec->restrict_net = 1;
    spec->accel = HV_ACCEL_AUTO;
}

/* Names become folder names and QEMU -name values: keep them to a safe alphabet. */
int hv_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= HV_NAME_MAX)
        return 0;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

const char *hv_state_name(enum hv_vm_state s)
{
    switch (s) {
    case HV_VM_DEFINED:
        return "stopped";
    case HV_VM_RUNNING:
        return "running";
    case HV_VM_PAUSED:
        return "paused";
    case HV_VM_SHUTDOWN:
        return "shutdown";
    case HV_VM_UNKNOWN:
        break;
    }
    return "unknown";
}

int hv_accel_parse(const char *s, enum hv_accel *out)
{
    if (strcmp(s, "auto") == 0)
        *out = HV_ACCEL_AUTO;
    else if (strcmp(s, "kvm") == 0)
        *out = HV_ACCEL_KVM;
    else if (strcmp(s, "tcg") == 0)
        *out = HV_ACCEL_TCG;
    else
        return -1;
    return 0;
}

const char *hv_accel_name(enum hv_accel a)
{
    return a == HV_ACCEL_KVM ? "kvm" : a == HV_ACCEL_TCG ? "tcg" : "auto";
}

/* True when the CPU advertises hardware virtualisation (vmx on Intel, svm on AMD). */
static int cpu_has_virt(const char *cpuinfo_path)
{
    FILE *f = fopen(cpuinfo_path, "r");
    if (!f)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
            if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0) {
                found = 1;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

/*
 * auto picks KVM only where /dev/kvm opens read-write AND the CPU shows vmx/svm. A
 * paravirtual nested /dev/kvm (no vmx/svm in the flags) opens fine but runs guests ~1000x
 * slower than TCG, so the device alone proves nothing.
 */
enum hv_accel hv_accel_resolve(enum hv_accel want, const char *cpuinfo_path, const char *kvm_path)
{
    if (want != HV_ACCEL_AUTO)
        return want;
    int fd = open(kvm_path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return HV_ACCEL_TCG;
    close(fd);
    return cpu_has_virt(cpuinfo_path) ? HV_ACCEL_KVM : HV_ACCEL_TCG;
}
