/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_API_ROUTE_H
#define DESKPOOL_BROKER_API_ROUTE_H

/* Path patterns of the API, as pure functions (unit-tested without a server). */
#include <stddef.h>

#define API_MAX_CAPTURES 4
#define API_CAPTURE_MAX 128

/*
 * Matches `path` (the part after /api/v1, no query) against `pattern`, where each "*"
 * segment matches exactly one non-empty segment and is copied to caps[i] in order. A
 * trailing slash on path is ignored. Segments longer than API_CAPTURE_MAX - 1 bytes or
 * containing '%' never match (no object name has one). Returns 1 on a match (with *ncaps
 * set), 0 otherwise.
 */
int api_route_match(const char *pattern, const char *path, char caps[][API_CAPTURE_MAX],
                    int *ncaps);

#endif
