/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_SECRET_H
#define DESKPOOL_PROBE_SECRET_H

#include <stddef.h>

struct dp_err;
struct probe_options;

/*
 * Returns the password the options point at (file's first line, environment variable, or
 * the --password argument) in a malloc'd string, or NULL with err set. Free it with
 * probe_secret_free, which wipes it first. The password is never logged.
 */
char *probe_secret_load(const struct probe_options *opts, struct dp_err *err);
/* First line of a buffer, without CR/LF, as a malloc'd string (NULL on malloc failure). */
char *probe_secret_first_line(const char *buf, size_t len);
void probe_secret_free(char *secret);

#endif
