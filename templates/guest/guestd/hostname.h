/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_HOSTNAME_H
#define DESKPOOL_GUESTD_HOSTNAME_H

struct dp_err;

#define HOSTNAME_MAX 63 /* one DNS label; also fits a NetBIOS-ish short name policy */

/* RFC 1123 names: dot-separated labels of 1..63 [A-Za-z0-9-], no leading or trailing
 * '-', 63 bytes in all (Linux allows 64; leave room for a terminating NUL anywhere). */
int hostname_valid(const char *name, struct dp_err *err);

#endif
