/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_B64_H
#define DESKPOOL_BROKER_B64_H

/* Unpadded standard base64 ([A-Za-z0-9+/], no '='), as PHC strings use it. Internal to
 * the store. */
#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, without the NUL. */
size_t phc_b64_len(size_t n);

/* Encodes n bytes into out (phc_b64_len(n) + 1 bytes, NUL-terminated). */
void phc_b64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes len characters into out; returns the byte count, or -1 on a character outside
 * the alphabet, padding, an impossible length, non-zero trailing bits (so every value has
 * exactly one encoding) or more than cap bytes. */
long phc_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
