/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PARENT_H
#define DESKPOOL_HV_PARENT_H

/*
 * Instant-clone parents. A parent is one boot of a template version, saved once:
 *
 *   STATE/parents/NAME-VERSION-KEY/
 *     disk.qcow2  the parent's overlay on the template base, frozen at save (clones chain
 *                 their own overlay on it)
 *     ram         the guest RAM (QEMU memory-backend-file, share=on while the parent ran);
 *                 clones map it private, so they share its pages copy-on-write
 *     state       device state from QMP migrate with x-ignore-shared (no RAM pages: ~1 MB)
 *     spec.json   the parent's VM spec, which clones copy
 *     meta.json   QEMU version, machine, memory, vCPUs, guest devices, sizes and sha256s
 *
 * KEY hashes the QEMU version and the guest hardware (parent_key()), so a new template
 * version, a QEMU upgrade or a change of the VM command line each get a new parent
 * automatically; an old one stays for the clones whose disks chain on it. A parent is built
 * in a dot-folder and renamed into place only once saved and verified: a crash or a full
 * disk leaves no parent, never half of one. Nothing writes a parent after that (files
 * 0444).
 */
#include "parent_meta.h"

#include <limits.h>
#include <stddef.h>

struct hv;
struct hv_vm_spec;
struct tpl_version;
struct dp_err;

struct hv_parent {
    char dir[PATH_MAX];
    char disk[PATH_MAX];
    char ram[PATH_MAX];
    char state[PATH_MAX];
    char spec[PATH_MAX];
    char meta_path[PATH_MAX];
    struct hv_parent_meta meta;
};

/*
 * The parent of template version `v` for this QEMU: found (a few ms) or built (one boot
 * and save, ~10 s under TCG). Concurrent callers wait on a lock file; the second finds the
 * first one's parent. Fails, leaving nothing behind, if the parent VM does not boot to
 * ready or the save fails (disk full, ...); with force, an existing parent for the same
 * key is removed and built again (only do that when no VM uses it: deskpool-hv parent
 * list shows users).
 */
int hv_parent_ensure(struct hv *hv, const struct tpl_version *v, int force, struct hv_parent *out,
                     struct dp_err *err);

/* Finds the built parent of `v` for this QEMU without building one. -1 if there is none. */
int hv_parent_find(struct hv *hv, const struct tpl_version *v, struct hv_parent *out,
                   struct dp_err *err);

/*
 * Loads the parent in `dir` and checks it can serve a clone described by `clone` (its spec
 * as hv_instant_define() made it): files present, state sha256 and size, RAM file size and
 * mtime, disk size, the same QEMU version, the same guest ABI. On failure err says what
 * differs (the reason logged for a boot fallback). full also hashes the disk and RAM.
 */
int hv_parent_check(struct hv *hv, const char *dir, const struct hv_vm_spec *clone, int full,
                    struct hv_parent *out, struct dp_err *err);

/* Every parent folder (complete ones only); in_use[i] counts the VMs cloned from it. */
int hv_parent_list(struct hv *hv, struct hv_parent **out, int **in_use, size_t *n,
                   struct dp_err *err);

/* STATE/parents/NAME-V-KEY: the folder clones of template version v use under this QEMU
 * and VM command line (spec gets the parent's VM spec). */
int hv_parent_dir_for(struct hv *hv, const struct tpl_version *v, struct hv_vm_spec *spec,
                      char *dir, size_t cap, struct dp_err *err);

/* How many VMs' disks chain on the parent in dir (their specs name a file inside it). */
int hv_parent_users(struct hv *hv, const char *dir);

/* 1 if VM `name` is a parent build VM (parent-NAME-VERSION, in vms/) that no process is
 * building any more (the version's build lock is free: its builder died), so it is debris
 * to destroy; 0 if it is not a build VM or a build holds it. */
int hv_parent_build_abandoned(struct hv *hv, const char *name);

/* Paths of the files in a parent folder. */
void hv_parent_paths(const char *dir, struct hv_parent *out);

#endif
