/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PARENT_BUILD_H
#define DESKPOOL_HV_PARENT_BUILD_H

/* Internal to hv/parent*.c: how a parent is described and built (see parent.h). */
#include <stddef.h>

struct hv;
struct hv_parent;
struct hv_vm_spec;
struct tpl_version;
struct dp_err;

/* The spec the parent of `v` runs with (name parent-NAME-V, its MAC, RAM in a file). */
int parent_spec_for(const struct tpl_version *v, struct hv_vm_spec *spec, struct dp_err *err);
/* parent_abi() of the command line `spec` starts with. */
int parent_spec_abi(const struct hv_vm_spec *spec, char *abi, size_t cap, struct dp_err *err);

/*
 * Boots the parent VM in a dot-folder beside `dir`, waits until ready and idle, saves its
 * state, verifies what it wrote and renames the folder to `dir`. On failure nothing is
 * left: no VM, no folder.
 */
int parent_build(struct hv *hv, const struct tpl_version *v, struct hv_vm_spec *spec,
                 const char *dir, struct hv_parent *out, struct dp_err *err);

#endif
