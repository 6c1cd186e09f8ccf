/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_NAMING_H
#define DESKPOOL_BROKER_NAMING_H

/*
 * A pool's naming pattern: VM names like "lab-001" from "lab-{n:03}". The pattern is
 * lowercase letters, digits and '-' around exactly one counter: "{n}" (no padding) or
 * "{n:0W}" (zero-padded to W digits, W 1..9). Names double as guest host names and QEMU
 * VM names, hence the alphabet and the 63-byte limit.
 */
#include <stddef.h>

struct dp_err;

#define NAMING_NAME_MAX 64 /* including the NUL */

/* Checks a pattern; returns 0, or -1 with err saying what is wrong and an example. */
int naming_check(const char *pattern, struct dp_err *err);

/* Writes the name for counter n (n >= 1) into out. Returns 0, or -1 with err set if the
 * pattern is invalid or the name would not fit NAMING_NAME_MAX or cap. */
int naming_format(const char *pattern, long n, char *out, size_t cap, struct dp_err *err);

#endif
