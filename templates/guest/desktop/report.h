/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_REPORT_H
#define DESKPOOL_DESKTOP_REPORT_H

#include <stddef.h>
#include <time.h>

/*
 * What a connection's process tells the listener process over its pipe. One line so far:
 * "UP<TAB>user<TAB>domain<TAB>login-epoch\n" once the user's desktop is shown. The end of
 * the session needs no message: the pipe closes when the process exits, crash or not,
 * and that is when the listener takes the user off the users file.
 */
enum { REPORT_FIELD_MAX = 256, REPORT_LINE_MAX = 2 * REPORT_FIELD_MAX + 64 };

struct peer_report {
    char user[REPORT_FIELD_MAX];
    char domain[REPORT_FIELD_MAX];
    long long login;
};

/*
 * Formats an UP line into buf (at least REPORT_LINE_MAX bytes). Control characters in
 * the names become '?', so a name cannot split the line. Returns its length, or -1 if a
 * name is longer than REPORT_FIELD_MAX - 1 bytes.
 */
int report_format_up(char *buf, size_t cap, const char *user, const char *domain, time_t login);

/* Parses one line without its newline. Returns 0 for a well-formed UP line, else -1. */
int report_parse(const char *line, size_t len, struct peer_report *out);

#endif
