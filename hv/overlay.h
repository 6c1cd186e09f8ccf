/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_OVERLAY_H
#define DESKPOOL_HV_OVERLAY_H

#include <stddef.h>

struct dp_err;

/*
 * qcow2 differencing disks. A desktop's disk is an overlay whose backing file is the
 * template's read-only base: creating one costs milliseconds whatever the base size, and
 * the guest's writes land in the overlay only.
 */

/* Reports the format of an image ("qcow2", "raw", ...) as qemu-img sees it. */
int overlay_image_format(const char *qemu_img, const char *path, char *fmt, size_t cap,
                         struct dp_err *err);
/* Opens `disk` and every backing file behind it, as QEMU will; fails if one is missing or
 * corrupt, naming it. */
int overlay_check_chain(const char *qemu_img, const char *disk, struct dp_err *err);
/* Creates `overlay` backed by `base` (which must be a readable qcow2). Never writes `base`. */
int overlay_create(const char *qemu_img, const char *base, const char *overlay, struct dp_err *err);
/* Full independent copy of `src` as qcow2 (what a linked clone saves; used by benchmarks). */
int overlay_full_copy(const char *qemu_img, const char *src, const char *dst, struct dp_err *err);

#endif
