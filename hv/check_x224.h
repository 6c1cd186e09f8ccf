/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_CHECK_X224_H
#define DESKPOOL_HV_CHECK_X224_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Readiness probe: does an RDP server really listen behind host:port? QEMU's slirp accepts
 * TCP before the guest listens, so the probe sends an X.224 Connection Request and wants a
 * Connection Confirm (or an RDP negotiation failure, which still proves a live RDP stack).
 */

/* The Connection Request the probe sends (TPKT + X.224 CR + RDP_NEG_REQ for SSL|HYBRID). */
extern const uint8_t x224_probe_request[19];

/*
 * Pure parser of the reply bytes received so far. Returns 1 when buf starts with a complete
 * TPKT holding an X.224 Connection Confirm, 0 when more bytes are needed, -1 when the bytes
 * cannot be one (with a reason in *why).
 */
int x224_cc_parse(const uint8_t *buf, size_t len, const char **why);

typedef void (*check_cb)(int ok, const char *detail, void *arg);

/* Starts one probe on base; cb runs exactly once (ok or with a reason), within timeout_ms. */
int check_x224_start(struct event_base *base, const char *host, int port, int timeout_ms,
                     check_cb cb, void *arg);
/* Synchronous form (own event loop): 1 ready, 0 not (detail says why). */
int check_x224(const char *host, int port, int timeout_ms, char *detail, size_t cap);

#endif
