/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_STATUS_H
#define DESKPOOL_PROBE_STATUS_H

/*
 * The outcome of one probe. The values are the process exit codes, so scripts and the
 * load mode can tell a dead host from a wrong password from a desktop that never drew.
 */
enum probe_status {
    PROBE_OK = 0,
    PROBE_USAGE = 2,       /* bad command line, unreadable password file */
    PROBE_UNREACHABLE = 3, /* TCP refused/unreachable, or RDP negotiation refused/unanswered */
    PROBE_AUTH = 4,        /* NLA logon failed */
    PROBE_NO_FRAME = 5,    /* got past negotiation but no desktop frame before the timeout */
    PROBE_ERROR = 6,       /* anything else */
};

/* Short stable name for JSON ("ok", "unreachable", "auth_failed", ...). */
const char *probe_status_name(enum probe_status status);

#endif
