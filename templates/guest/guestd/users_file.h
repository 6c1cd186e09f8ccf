/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_USERS_FILE_H
#define DESKPOOL_GUESTD_USERS_FILE_H

/*
 * /run/deskpool/users, rewritten atomically by the desktop server on every logon and
 * logoff: one line per session, `USER<TAB>DOMAIN<TAB>LOGIN_EPOCH_SECONDS` (domain may be
 * empty, seconds may have a fraction).
 */
#include <jansson.h>
#include <stddef.h>

#define USERS_FILE_MAX (256 * 1024)
#define USERS_MAX 1024

/* Pure: parses the file into guest-get-users' answer, [{"user","domain"?,"login-time"}].
 * Like qemu-ga, one entry per user (and domain) with the earliest login; malformed lines
 * are skipped. NULL only when out of memory. */
json_t *users_file_parse(const char *text, size_t len);

#endif
