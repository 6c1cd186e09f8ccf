/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_DESKTOP_CTL_H
#define DESKPOOL_GUESTD_DESKTOP_CTL_H

/*
 * The client side of the desktop server's control socket (a unix stream socket next to the
 * users file, mode 0600, served by deskpool-desktop's listener process). One request per
 * connection, one line each way:
 *   LOGOFF<TAB>user\n   ->   ENDED<TAB>n\n   or   ERROR<TAB>message\n
 * The desktop answers once the users file no longer lists the ended sessions.
 */
#include <stddef.h>

struct dp_err;

#define DESKTOP_CTL_TIMEOUT_MS 5000

/* Pure: parses a reply line (without its newline). Returns n >= 0 for ENDED, -1 with err
 * set for ERROR or anything malformed. */
int desktop_ctl_parse_reply(const char *line, size_t len, struct dp_err *err);

/*
 * Ends every session of user in the desktop server listening on path. Returns the number
 * ended (0 when the user had none), or -1 with err set. When nothing listens on path
 * (no desktop server running) returns -2 with err set: the caller decides whether that
 * matters.
 */
int desktop_ctl_logoff(const char *path, const char *user, struct dp_err *err);

#endif
