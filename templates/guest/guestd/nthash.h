/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_NTHASH_H
#define DESKPOOL_GUESTD_NTHASH_H

#include <stddef.h>
#include <stdint.h>

struct dp_err;

/* NT hash (MD4 of the UTF-16LE password) of a UTF-8 password, via WinPR's NTOWFv1W.
 * WinPR's NTOWFv1A assumes one UTF-16 unit per byte, which is wrong for non-ASCII
 * passwords, so the conversion is done here. Rejects invalid UTF-8 and NUL. */
int nthash_utf8(const uint8_t *password, size_t len, uint8_t hash[16], struct dp_err *err);

/* Validates UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int utf8_valid(const uint8_t *s, size_t len);

#endif
