/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_VPORT_H
#define DESKPOOL_GUESTD_VPORT_H

#include <stddef.h>

struct dp_err;

#define QGA_PORT_NAME "org.qemu.guest_agent.0"

/* Finds /dev/vportNpM whose /sys/class/virtio-ports/vportNpM/name is `name` (there is
 * no udev in the tiny guest to make /dev/virtio-ports/NAME). 0 and the path, or -1. */
int vport_find(const char *sysfs_dir, const char *name, char *out, size_t outlen,
               struct dp_err *err);

#endif
