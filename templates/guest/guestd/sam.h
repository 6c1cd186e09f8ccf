/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_SAM_H
#define DESKPOOL_GUESTD_SAM_H

/*
 * The SAM file the desktop server (FreeRDP, settings->NtlmSamFile) checks NLA logins
 * against. One line per account: `user:domain:LMHASH:NTHASH:::`, hashes as 32 hex digits
 * or empty. guestd writes the NT hash only (no LM hash, never the password) and an
 * empty domain, which FreeRDP's lookup falls back to for any domain.
 */
#include <stddef.h>
#include <stdint.h>

struct dp_err;

#define SAM_USER_MAX 64 /* bytes of UTF-8 */
#define SAM_FILE_MAX (1 << 20)

/* A user name the SAM format can hold: 1..64 bytes of UTF-8, no ':' or control chars,
 * not starting with '#' (a comment). */
int sam_user_valid(const char *user, struct dp_err *err);

/* Pure: returns a malloc'd copy of the SAM text `old` in which every line of `user` (any
 * domain) is replaced by one new line with nt_hash, appended at the end. Lines FreeRDP
 * would choke on (it stops at the first malformed line, hiding every user after it) are
 * dropped and counted in *dropped. NULL only when out of memory. */
char *sam_replace_user(const char *old, size_t old_len, const char *user, const uint8_t nt_hash[16],
                       size_t *out_len, int *dropped);

/* Updates the SAM file at path (mode 0600, atomic via tmp + rename; parent created). */
int sam_set_user(const char *path, const char *user, const uint8_t nt_hash[16], struct dp_err *err);

#endif
