/* SPDX-License-Identifier: Apache-2.0 */
#include "qemu_argv.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int add(struct qemu_argv *a, struct dp_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int add(struct qemu_argv *a, struct dp_err *err, const char *fmt, ...)
{
    if (a->argc >= QEMU_ARGV_MAX) {
        dp_err_set(err, "QEMU command line has too many arguments");
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof a->buf - a->used;
    int n = vsnprintf(a->buf + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        dp_err_set(err, "QEMU command line is too long");
        return -1;
    }
    a->argv[a->argc++] = a->buf + a->used;
    a->argv[a->argc] = NULL;
    a->used += (size_t)n + 1;
    return 0;
}

/* QEMU's option syntax splits on commas; a path with one would be misparsed, not escaped. */
static int check_path(const char *what, const char *path, struct dp_err *err)
{
    if (strchr(path, ',')) {
        dp_err_set(err,
                   "%s path \"%s\" contains a comma, which QEMU options cannot take; "
                   "use a path without commas",
                   what, path);
        return -1;
    }
    return 0;
}

/* A stable locally administered MAC per VM name, so a bridged VM keeps its DHCP lease. */
void qemu_mac_for(const char *name, char out[18])
{
    unsigned h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(out, 18, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xffu, (h >> 8) & 0xffu, h & 0xffu);
}

int qemu_mac_valid(const char *mac)
{
    if (strlen(mac) != 17)
        return 0;
    for (int i = 0; i < 17; i++) {
        char c = mac[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return 0;
    }
    return 1;
}

int qemu_argv_build(struct qemu_argv *a, const char *qemu, const struct hv_vm_spec *spec,
                    const struct hv_vm_paths *p, enum hv_accel accel, struct dp_err *err)
{
    memset(a, 0, sizeof *a);
    if (check_path("VM folder", p->dir, err) || check_path("kernel", spec->kernel, err) ||
        check_path("initrd", spec->initrd, err) || check_path("state", spec->incoming, err) ||
        check_path("memory file", spec->mem_file, err))
        return -1;
    if (spec->mac[0] && !qemu_mac_valid(spec->mac)) {
        dp_err_set(err, "VM %s: MAC address \"%s\" is not of the form 52:54:00:12:34:56",
                   spec->name, spec->mac);
        return -1;
    }
    if (spec->net == HV_NET_BRIDGE && (spec->bridge[0] == '\0' || strchr(spec->bridge, ','))) {
        dp_err_set(err, "VM %s: bridge network needs a bridge name without commas", spec->name);
        return -1;
    }
    int rc = 0;
    rc |= add(a, err, "%s", qemu);
    rc |= add(a, err, "-name") | add(a, err, "guest=%s,debug-threads=off", spec->name);
    rc |= add(a, err, "-nodefaults") | add(a, err, "-no-user-config");
    if (spec->mem_file[0]) {
        /* Guest RAM in a file: a parent maps it shared so its RAM lands there; clones map
         * it private, so they share its pages in the page cache until they write them. */
        rc |= add(a, err, "-object") |
              add(a, err, "memory-backend-file,id=ram0,size=%dM,mem-path=%s,share=%s",
                  spec->memory_mb, spec->mem_file, spec->mem_shared ? "on" : "off");
        rc |= add(a, err, "-machine") | add(a, err, "pc,memory-backend=ram0");
    } else {
        rc |= add(a, err, "-machine") | add(a, err, "pc");
    }
    /* A smaller translation cache trims ~50 MB of RSS per VM under TCG at little cost. */
    rc |=
        add(a, err, "-accel") | add(a, err, "%s", accel == HV_ACCEL_KVM ? "kvm" : "tcg,tb-size=32");
    rc |= add(a, err, "-smp") | add(a, err, "%d", spec->vcpus);
    rc |= add(a, err, "-m") | add(a, err, "%d", spec->memory_mb);
    rc |= add(a, err, "-display") | add(a, err, "none");
    rc |= add(a, err, "-rtc") | add(a, err, "base=utc");
    rc |= add(a, err, "-sandbox") | add(a, err, "on");
    rc |= add(a, err, "-daemonize") | add(a, err, "-pidfile") | add(a, err, "%s", p->pidfile);
    rc |= add(a, err, "-qmp") | add(a, err, "unix:%s,server=on,wait=off", p->qmp);
    rc |= add(a, err, "-serial") | add(a, err, "file:%s", p->serial);
    rc |= add(a, err, "-drive") |
          add(a, err, "file=%s,if=virtio,format=qcow2,cache=writeback,discard=unmap", p->disk);
    rc |= add(a, err, "-device") | add(a, err, "virtio-serial-pci");
    rc |=
        add(a, err, "-chardev") | add(a, err, "socket,id=qga0,path=%s,server=on,wait=off", p->qga);
    rc |= add(a, err, "-device") |
          add(a, err, "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0");
    rc |= add(a, err, "-device") | add(a, err, "virtio-rng-pci");
    if (spec->net == HV_NET_USER) {
        char fwd[64] = "";
        if (spec->rdp_port > 0)
            snprintf(fwd, sizeof fwd, ",hostfwd=tcp:127.0.0.1:%d-:3389", spec->rdp_port);
        rc |= add(a, err, "-netdev") |
              add(a, err, "user,id=n0,restrict=%s%s", spec->restrict_net ? "on" : "off", fwd);
    } else {
        rc |= add(a, err, "-netdev") | add(a, err, "bridge,id=n0,br=%s", spec->bridge);
    }
    char mac[18];
    if (spec->mac[0])
        snprintf(mac, sizeof mac, "%s", spec->mac);
    else
        qemu_mac_for(spec->name, mac);
    rc |= add(a, err, "-device") | add(a, err, "virtio-net-pci,netdev=n0,mac=%s", mac);
    if (spec->kernel[0]) {
        rc |= add(a, err, "-kernel") | add(a, err, "%s", spec->kernel);
        if (spec->initrd[0])
            rc |= add(a, err, "-initrd") | add(a, err, "%s", spec->initrd);
        if (spec->append[0])
            rc |= add(a, err, "-append") | add(a, err, "%s", spec->append);
    }
    /* With RAM in a file the state holds no RAM pages, only with x-ignore-shared set on both
     * sides; QEMU 7.2 has no command-line switch for it, so the restore is deferred until
     * it is set over QMP (hv/restore.h). */
    if (spec->incoming[0] && spec->mem_file[0])
        rc |= add(a, err, "-incoming") | add(a, err, "defer");
    else if (spec->incoming[0])
        rc |= add(a, err, "-incoming") | add(a, err, "exec:cat %s", spec->incoming);
    return rc ? -1 : 0;
}
