/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_COMMON_B64_H
#define DESKPOOL_COMMON_B64_H

/*
 * Base64, RFC 4648 standard alphabet, for everything deskpool encodes: PHC password-hash
 * strings and tokens (unpadded, as PHC wants) and QGA's binary arguments (padded, as QEMU
 * sends them). OpenSSL's EVP_EncodeBlock always pads and its decoder accepts whitespace; the
 * decoder here is strict (no whitespace, zero trailing bits, so every value has exactly one
 * encoding) and bounded, which also makes it easy to fuzz. Pure functions.
 */
#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, without the NUL; pad: with '=' to a multiple of 4. */
size_t dp_b64_len(size_t n, int pad);

/* Encodes n bytes into out (dp_b64_len(n, pad) + 1 bytes, NUL-terminated). */
void dp_b64_encode(const uint8_t *in, size_t n, char *out, int pad);

/*
 * Decodes len characters into out; returns the byte count, or -1 on a character outside the
 * alphabet, an impossible length, non-zero trailing bits or more than cap bytes. allow_pad:
 * up to two '=' at the very end that complete the last quantum are accepted (not required);
 * otherwise any '=' is refused.
 */
long dp_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap, int allow_pad);

#endif
