/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_LIMITS_H
#define DESKPOOL_GW_LIMITS_H

/*
 * Connection admission: at most max_total open connections, at most max_per_source from one
 * source address, so one host (or a scan) cannot take every slot. Keys are address
 * strings without the port.
 */
#include <stddef.h>

struct gw_limits;

struct gw_limits *gw_limits_new(int max_total, int max_per_source);
void gw_limits_free(struct gw_limits *l);

/*
 * Takes a slot for source. Returns 0 (admitted: call gw_limits_release later), 1 (the
 * gateway is full), 2 (this source is at its limit), -1 (out of memory).
 */
int gw_limits_admit(struct gw_limits *l, const char *source);

/* Gives back a slot taken by gw_limits_admit for the same source. */
void gw_limits_release(struct gw_limits *l, const char *source);

/* Open connections overall / from source. */
size_t gw_limits_total(const struct gw_limits *l);
size_t gw_limits_of(const struct gw_limits *l, const char *source);

#endif
