/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PARENT_META_H
#define DESKPOOL_HV_PARENT_META_H

/*
 * meta.json of an instant-clone parent: what the saved state needs from whoever loads it
 * (the same QEMU, the same guest-visible hardware) and the checksums that prove its files
 * are whole. The pure parts (guest ABI of a command line, the compatibility check, the
 * folder key) are here so they can be unit-tested without QEMU.
 */
#include <stddef.h>

struct qemu_argv;
struct dp_err;

#define PARENT_ABI_MAX 4096

struct hv_parent_meta {
    char template_name[64];
    int template_version;
    char template_sha256[65]; /* of the base the parent booted from */
    char key[17];             /* parent_key(): folder name suffix */
    char qemu_version[64];
    char machine[64]; /* the machine type "pc" resolved when saved ("pc-i440fx-7.2") */
    int memory_mb;
    int vcpus;
    char mac[18];
    char abi[PARENT_ABI_MAX]; /* parent_abi() of the parent's command line, lines */
    char state_sha256[65];
    long long state_size;
    char disk_sha256[65];
    long long disk_size;
    char ram_sha256[65];
    long long ram_size;
    long long ram_mtime_ns; /* a clone checks size + mtime of the RAM file (hashing 256 MiB
                               per clone would cost more than the restore) */
    long long created;      /* unix seconds */
    int boot_ms;            /* parent boot to ready */
    int save_ms;            /* stop + migrate to file */
};

int parent_meta_save(const struct hv_parent_meta *m, const char *path, struct dp_err *err);
int parent_meta_load(struct hv_parent_meta *m, const char *path, struct dp_err *err);

/*
 * The guest-visible part of a QEMU command line, one option per line: machine, CPUs,
 * memory size, devices (MAC included), kernel; without what only the host sees (name,
 * sockets, pidfile, log paths, -netdev with its hostfwd port, -incoming) and without the
 * file paths of the disk and RAM backend. A state loads only where this matches.
 */
int parent_abi(const struct qemu_argv *a, char *out, size_t cap);

/* 16 hex digits naming a parent for one QEMU version and guest ABI (FNV-1a 64). */
void parent_key(const char *qemu_version, const char *abi, char out[17]);

/*
 * Can a clone with guest ABI `abi` load this parent's state under QEMU `qemu_version`?
 * Returns 1, or 0 with the first difference in why ("memory size differs: parent -m 256,
 * clone -m 512").
 */
int parent_compat(const struct hv_parent_meta *m, const char *qemu_version, const char *abi,
                  char *why, size_t cap);

#endif
