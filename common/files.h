/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_COMMON_FILES_H
#define DESKPOOL_COMMON_FILES_H

#include <stddef.h>
#include <stdint.h>

struct dp_err;

/* mkdir -p with the given mode for directories it creates. */
int dp_mkdirs(const char *path, unsigned mode, struct dp_err *err);
/* rm -rf; a missing path is success. */
int dp_remove_tree(const char *path, struct dp_err *err);
/* Writes data to path via a temporary file + rename, so readers see old or new, never half. */
int dp_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                         struct dp_err *err);
/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'd buffer. */
char *dp_read_file(const char *path, size_t max, size_t *len_out, struct dp_err *err);
int dp_path_exists(const char *path);
/* SHA-256 of a file as 64 lowercase hex digits + NUL. */
int dp_sha256_file(const char *path, char out[65], struct dp_err *err);
/* Monotonic clock in milliseconds. */
uint64_t dp_now_ms(void);

#endif
