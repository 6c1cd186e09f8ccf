/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_COMMON_ERR_H
#define DESKPOOL_COMMON_ERR_H

/*
 * An error a person can act on: what failed, on what, and what to do.
 * Functions that can fail take a `struct dp_err *` (may be NULL) and return -1.
 * The first error set wins, so a caller's more general message never hides the cause.
 */
struct dp_err {
    int set;
    char msg[1024];
};

void dp_err_set(struct dp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like dp_err_set, with ": strerror(errno)" appended. */
void dp_err_errno(struct dp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dp_err_clear(struct dp_err *err);
const char *dp_err_msg(const struct dp_err *err);

#endif
