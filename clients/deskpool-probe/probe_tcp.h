/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_TCP_H
#define DESKPOOL_PROBE_TCP_H

#include <stddef.h>

/*
 * Plain TCP connect to host:port within timeout_ms, then close. Used only to explain a
 * failure: FreeRDP 2.11 does not check the result of its non-blocking connect, so a refused
 * port shows up as a broken pipe during negotiation. Returns 0 if the connect succeeds, or
 * -1 with why set to the reason ("Connection refused", "timed out", a resolver error).
 */
int probe_tcp_check(const char *host, unsigned port, unsigned timeout_ms, char *why,
                    size_t why_size);

#endif
