/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_TABLE_H
#define DESKPOOL_CLI_TABLE_H

/* Aligned text tables: columns as wide as their widest cell (in characters, not bytes),
 * two spaces apart, the last column unpadded so lines carry no trailing blanks. */
#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 16

struct table {
    size_t ncols, nrows, cap;
    char **cells;              /* nrows * ncols, row 0 is the header */
    int right[TABLE_MAX_COLS]; /* right-align (numbers) */
};

/* Starts a table with these headers; a header starting with '>' is right-aligned. */
int table_init(struct table *t, const char *const *headers, size_t ncols);
/* Adds a row of ncols cells (copied; NULL shows as "-"). */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* Display width of UTF-8 text: code points (control bytes count as one). */
size_t table_width(const char *s);

#endif
