/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_CONTROL_H
#define DESKPOOL_DESKTOP_CONTROL_H

/*
 * The listener's control socket, next to the users file (default /run/deskpool/control):
 * how the guest agent's deskpool-logoff-user ends a user's sessions. A unix stream socket,
 * mode 0600 (root only). One request per connection, one line each way:
 *   LOGOFF<TAB>user\n   ->   ENDED<TAB>n\n   or   ERROR<TAB>message\n
 * The guest agent's side is templates/guest/guestd/desktop_ctl.c.
 */
#include <stddef.h>

struct dp_err;

enum { CONTROL_USER_MAX = 257, CONTROL_READ_TIMEOUT_MS = 1000 };

/* "control" in the folder of users_path. -1 + err when it does not fit a unix socket. */
int control_path_beside(char *out, size_t cap, const char *users_path, struct dp_err *err);

/* Listens on path (a stale socket there is replaced; anything else is an error). Returns
 * the non-blocking listening descriptor, or -1 + err. */
int control_open(const char *path, struct dp_err *err);

/* Pure: "LOGOFF<TAB>user" (no newline) -> user. 0, or -1 if malformed. */
int control_parse_request(const char *line, size_t len, char user[CONTROL_USER_MAX]);

/* Reads one request line from a connected client within CONTROL_READ_TIMEOUT_MS (a local
 * root client; the listener can afford that wait). 0 + user, or -1. */
int control_read_request(int fd, char user[CONTROL_USER_MAX]);

/* Sends "ENDED\tn\n" (n >= 0) or "ERROR\tmsg\n" (n < 0). */
void control_reply(int fd, int n, const char *msg);

#endif
