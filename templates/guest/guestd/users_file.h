/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_USERS_FILE_H
#define DESKPOOL_GUESTD_USERS_FILE_H

/*
 * /run/deskpool/users, rewritten atomically by the desktop server whenever its list of
 * sessions changes: one line per logged-on user's session, connected or disconnected,
 * `USER<TAB>DOMAIN<TAB>LOGIN_EPOCH_SECONDS<TAB>SESSION_ID<TAB>active|disconnected` (domain
 * may be empty, seconds may have a fraction). Lines of the first format, without the last
 * two columns, are still read (as active sessions without an id).
 */
#include <jansson.h>
#include <stddef.h>

#define USERS_FILE_MAX (256 * 1024)
#define USERS_MAX 1024

/* Pure: parses the file into guest-get-users' answer, [{"user", "domain"?, "login-time",
 * "deskpool-session-id"?, "deskpool-state"?}]. Like qemu-ga, one entry per user (and
 * domain) with the earliest login (and that session's id); its state is "active" if any of
 * the user's sessions is. Malformed lines are skipped. NULL only when out of memory. */
json_t *users_file_parse(const char *text, size_t len);

#endif
