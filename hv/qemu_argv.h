/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_QEMU_ARGV_H
#define DESKPOOL_HV_QEMU_ARGV_H

#include "hv.h"

struct dp_err;

#define QEMU_ARGV_MAX 80

/* A QEMU command line; strings live in buf. */
struct qemu_argv {
    char *argv[QEMU_ARGV_MAX + 1];
    int argc;
    char buf[16384];
    size_t used;
};

/*
 * Builds the command line that starts `spec` as a daemonized QEMU with its pidfile, QMP and
 * QGA sockets and serial log under paths->dir. Pure: it only formats. Fails (with a message
 * naming the field) on values QEMU's option parser would misread, such as commas in paths.
 */
int qemu_argv_build(struct qemu_argv *a, const char *qemu, const struct hv_vm_spec *spec,
                    const struct hv_vm_paths *paths, enum hv_accel accel, struct dp_err *err);

/* The MAC a VM gets when its spec names none: hashed from its name, 52:54:00:xx:xx:xx. */
void qemu_mac_for(const char *name, char out[18]);
/* True for "xx:xx:xx:xx:xx:xx" in hex (nothing QEMU's option parser could misread). */
int qemu_mac_valid(const char *mac);

#endif
