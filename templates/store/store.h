/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_TEMPLATE_STORE_H
#define DESKPOOL_TEMPLATE_STORE_H

/*
 * The template store: named templates with numbered versions under
 * STATE/templates/NAME/N/. A version is a read-only base qcow2 (mode 0444; VMs' overlays
 * point at it and nothing ever writes it) plus meta.json, and for direct-boot templates the
 * kernel and initrd. Versions are immutable: a change is a new version.
 */
#include <limits.h>
#include <stddef.h>

struct dp_err;

struct tpl_version {
    char name[64];
    int version;
    char dir[PATH_MAX];
    char base[PATH_MAX];
    char kernel[PATH_MAX]; /* empty unless direct boot */
    char initrd[PATH_MAX];
    char append[1024];
    int memory_mb;
    int vcpus;
    int has_rdp;     /* the guest serves RDP on 3389 (readiness then needs an X.224 answer) */
    char sha256[65]; /* of base.qcow2 */
    char source_sha256[65]; /* of the imported file: importing the same bytes again reuses */
    long long size;         /* of base.qcow2, to catch truncation cheaply */
    long long created;      /* unix seconds */
};

struct tpl_import_opts {
    const char *kernel; /* optional */
    const char *initrd; /* optional */
    const char *append; /* optional */
    int memory_mb;      /* 0: 256 */
    int vcpus;          /* 0: 1 */
    int has_rdp;
    int reuse_same; /* return the latest version instead of a new one if nothing changed */
};

/*
 * Imports `image` (qcow2, raw, vmdk, vhd or vhdx, as qemu-img reads it) as the next version
 * of template `name`, converted to a standalone qcow2. The source is only read. On failure
 * nothing is left behind. Fills *out with the new (or reused) version.
 */
int store_import(const char *state_dir, const char *name, const char *image,
                 const struct tpl_import_opts *o, struct tpl_version *out, struct dp_err *err);
/* Loads version `version` of `name` (0 = latest) and checks its files are there and whole. */
int store_get(const char *state_dir, const char *name, int version, struct tpl_version *out,
              struct dp_err *err);
/* Every version of every template, sorted by name then version; *out is malloc'd. */
int store_list(const char *state_dir, struct tpl_version **out, size_t *n, struct dp_err *err);
/* Full check: sha256 of the base against meta.json and `qemu-img check`. */
int store_verify(const struct tpl_version *v, struct dp_err *err);
/* meta.json is small; a larger one is refused rather than read. */
#define STORE_META_MAX (64 * 1024)
/*
 * Pure: the version described by meta.json text[0..len) of the version folder dir. Refuses
 * (with err naming the file) a name hv would not accept, a sha256 that is not 64 hex
 * digits, a kernel or initrd that is not a plain file name of dir, values that do not fit
 * and memory_mb or vcpus out of range.
 */
int store_meta_parse(const char *text, size_t len, const char *dir, struct tpl_version *v,
                     struct dp_err *err);
/* Parses "NAME" or "NAME:VERSION". */
int store_parse_ref(const char *ref, char *name, size_t cap, int *version);

#endif
