/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_POOL_FIT_H
#define DESKPOOL_BROKER_POOL_FIT_H

/* Does a pool fit this host's memory? Pure parts (unit-tested) and the /proc reader. */
#include <stddef.h>

struct dp_err;

struct host_mem {
    long total_mb;
    long available_mb;
};

/* Parses /proc/meminfo text (MemTotal, MemAvailable in kB). Returns 0, or -1 if MemTotal is
 * missing. */
int host_mem_parse(const char *text, struct host_mem *out);

/* Reads /proc/meminfo (or `path`, for tests). */
int host_mem_read(const char *path, struct host_mem *out, struct dp_err *err);

/*
 * 1 if `max_vms` VMs of `memory_mb` each fit in total_mb minus reserve_mb, else 0 with the
 * numbers and how to fix it in msg ("pool \"lab\": max 200 x 256 MiB = 51200 MiB does not
 * fit ..."). A pool's VMs can all run at once, so its max is what must fit.
 */
int pool_fits(const char *pool, int max_vms, int memory_mb, long total_mb, long reserve_mb,
              char *msg, size_t cap);

#endif
