/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_H
#define DESKPOOL_HV_H

/*
 * The hypervisor driver interface. The broker, the CLI and the tests talk to VMs only
 * through `struct hv_ops`, so a libvirt backend (or the fake used by state-machine unit
 * tests) can sit beside the QEMU one. Operations here are short and synchronous
 * (starting a daemonized QEMU returns once it runs); waiting for a guest is done with the
 * probes (hv/check_*.h), which are asynchronous on libevent.
 */
#include <limits.h>
#include <stddef.h>

struct dp_err;

enum hv_accel { HV_ACCEL_AUTO, HV_ACCEL_KVM, HV_ACCEL_TCG };
enum hv_net_kind { HV_NET_USER, HV_NET_BRIDGE };

#define HV_NAME_MAX 64

/* What a VM is made of. Saved as spec.json in the VM's folder so any process can attach. */
struct hv_vm_spec {
    char name[HV_NAME_MAX];  /* [a-z0-9][a-z0-9_-]*, unique per state directory */
    int vcpus;               /* default 1 */
    int memory_mb;           /* default 256 */
    char base[PATH_MAX];     /* read-only base qcow2 the overlay is backed by */
    char kernel[PATH_MAX];   /* optional direct boot */
    char initrd[PATH_MAX];   /* optional */
    char append[1024];       /* optional kernel command line */
    enum hv_net_kind net;    /* default user */
    int rdp_port;            /* user: 127.0.0.1:rdp_port forwards to the guest's 3389; 0 = none */
    int restrict_net;        /* user: restrict=on (the guest cannot reach the host) */
    char bridge[32];         /* bridge: host bridge name */
    enum hv_accel accel;     /* default auto */
    char incoming[PATH_MAX]; /* optional: migration state file to restore (instant clones) */
    int has_rdp;             /* the guest serves RDP: readiness also needs an X.224 answer */
    /* Instant clones (see hv/instant.h). A restored guest must see the NIC it was saved
     * with, so clones carry their parent's MAC instead of one derived from their name. */
    char mac[18];            /* optional "52:54:00:xx:xx:xx"; empty = derived from name */
    char mem_file[PATH_MAX]; /* optional: guest RAM is this file (memory-backend-file) */
    int mem_shared;          /* mem_file mapped shared (a parent writes its RAM into it) or
                                private (clones read it copy-on-write, never write it) */
};

enum hv_vm_state {
    HV_VM_DEFINED,  /* folder and overlay exist, no QEMU process */
    HV_VM_RUNNING,  /* QEMU runs and the guest CPU runs */
    HV_VM_PAUSED,   /* QEMU runs, CPU stopped (or waiting for incoming state) */
    HV_VM_SHUTDOWN, /* QEMU runs but the guest has shut down */
    HV_VM_UNKNOWN,  /* QEMU runs but does not answer QMP */
};

struct hv_vm_status {
    char name[HV_NAME_MAX];
    enum hv_vm_state state;
    int pid;      /* 0 when not running */
    int rdp_port; /* host port for the guest's RDP server, 0 if none */
    long rss_kb;  /* resident memory of the QEMU process, 0 when not running */
};

/* Paths of a VM's runtime files (sockets for the QMP/QGA clients, logs for humans). */
struct hv_vm_paths {
    char dir[PATH_MAX];
    char disk[PATH_MAX];
    char qmp[PATH_MAX];
    char qga[PATH_MAX];
    char serial[PATH_MAX];
    char pidfile[PATH_MAX];
    char spec[PATH_MAX];
    /* Present while an instant clone's overlay is untouched: only then may a start restore
     * the parent's RAM onto it (restoring onto a disk that has run would corrupt it). */
    char restore_marker[PATH_MAX];
};

struct hv;

struct hv_ops {
    const char *name;
    /* Creates the VM's folder and its overlay disk on spec->base; saves the spec. */
    int (*define)(struct hv *hv, const struct hv_vm_spec *spec, struct dp_err *err);
    /* Starts the VM; returns once the hypervisor process runs. */
    int (*start)(struct hv *hv, const char *name, struct dp_err *err);
    /* Asks the guest to power down; forces it off after timeout_ms. */
    int (*stop)(struct hv *hv, const char *name, int timeout_ms, struct dp_err *err);
    /* Forces the VM off at once (no guest shutdown). */
    int (*kill)(struct hv *hv, const char *name, struct dp_err *err);
    /* Kills the VM if it runs and removes its folder and overlay. */
    int (*destroy)(struct hv *hv, const char *name, struct dp_err *err);
    /* Discards the overlay and creates a fresh one on the same base; VM must be off. */
    int (*reset_disk)(struct hv *hv, const char *name, struct dp_err *err);
    int (*status)(struct hv *hv, const char *name, struct hv_vm_status *out, struct dp_err *err);
    /* All VMs this driver knows; *out is malloc'd (free it). */
    int (*list)(struct hv *hv, struct hv_vm_status **out, size_t *n, struct dp_err *err);
    /* Re-finds a VM (after a restart of the caller): loads its spec, checks its process. */
    int (*attach)(struct hv *hv, const char *name, struct hv_vm_spec *spec, struct dp_err *err);
    int (*paths)(struct hv *hv, const char *name, struct hv_vm_paths *out, struct dp_err *err);
    /* Moves a stopped VM's forwarded RDP port (another program took the old one). */
    int (*set_rdp_port)(struct hv *hv, const char *name, int port, struct dp_err *err);
    void (*close)(struct hv *hv);
};

struct hv {
    const struct hv_ops *ops;
    char state_dir[PATH_MAX]; /* VMs live in state_dir/vms/NAME/ */
    char qemu[PATH_MAX];      /* qemu-system-x86_64 binary */
    char qemu_img[PATH_MAX];  /* qemu-img binary */
    char qemu_version[64];    /* "7.2.22", filled on first use by hv_qemu_version() */
};

/* Opens the QEMU driver on a state directory (created if missing). */
struct hv *hv_qemu_open(const char *state_dir, struct dp_err *err);
/* The QEMU version ("7.2.22") of hv->qemu, asked once and cached in hv->qemu_version. */
const char *hv_qemu_version(struct hv *hv, struct dp_err *err);

/* Accelerator: "auto|kvm|tcg" parsing, and what auto resolves to on this host. */
int hv_accel_parse(const char *s, enum hv_accel *out);
const char *hv_accel_name(enum hv_accel a);
enum hv_accel hv_accel_resolve(enum hv_accel want, const char *cpuinfo_path, const char *kvm_path);

int hv_name_valid(const char *name);
const char *hv_state_name(enum hv_vm_state s);
/* Fills defaults (1 vCPU, 256 MiB, user net, restrict on, accel auto). */
void hv_spec_init(struct hv_vm_spec *spec);

#endif
