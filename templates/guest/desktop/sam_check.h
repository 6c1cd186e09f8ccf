/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_SAM_CHECK_H
#define DESKPOOL_DESKTOP_SAM_CHECK_H

#include <stddef.h>

struct dp_err;

/*
 * The credential store is WinPR's SAM file, which WinPR's NTLM reads itself on every login
 * (settings->NtlmSamFile). We only look at it to tell the admin early and clearly why
 * nobody can log in: a missing file, an empty one, or lines WinPR would skip.
 *
 * A usable line is "user:domain:LMHASH:NTHASH:::" with a non-empty user and a 32-hex-digit
 * NT hash (the LM hash may be empty), as winpr-hash and the guest agent write it.
 */

/* Counts usable lines in text[0..len). */
int sam_count_usable(const char *text, size_t len);

/* Counts usable lines in the file at path; -1 with err set when it cannot be read. */
int sam_check_file(const char *path, struct dp_err *err);

#endif
