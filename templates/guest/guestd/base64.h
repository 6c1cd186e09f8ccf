/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_BASE64_H
#define DESKPOOL_GUESTD_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes standard base64 (RFC 4648 alphabet; '=' padding optional). Writes at most cap
 * bytes to out. Returns the decoded length, or -1 for invalid input or too little room. */
long base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
