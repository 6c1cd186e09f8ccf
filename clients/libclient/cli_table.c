/* SPDX-License-Identifier: Apache-2.0 */
/* Aligned text tables (see cli_table.h). */
#include "cli_table.h"

#include <stdlib.h>
#include <string.h>

size_t table_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) /* not a continuation byte */
            w++;
    return w;
}

static int grow(struct table *t)
{
    if ((t->nrows + 1) * t->ncols <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap * 2 : t->ncols * 16;
    char **c = realloc(t->cells, cap * sizeof *c);
    if (!c)
        return -1;
    t->cells = c;
    t->cap = cap;
    return 0;
}

static int add_row(struct table *t, const char *const *cells, int header)
{
    if (grow(t) != 0)
        return -1;
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *c = cells[i] ? cells[i] : "-";
        if (header && c[0] == '>') {
            t->right[i] = 1;
            c++;
        }
        /* Tabs and newlines would break the alignment; show them as spaces. */
        row[i] = strdup(c);
        if (!row[i]) {
            for (size_t j = 0; j < i; j++)
                free(row[j]);
            return -1;
        }
        for (char *p = row[i]; *p; p++)
            if (*p == '\t' || *p == '\n' || *p == '\r')
                *p = ' ';
    }
    t->nrows++;
    return 0;
}

int table_init(struct table *t, const char *const *headers, size_t ncols)
{
    memset(t, 0, sizeof *t);
    if (ncols == 0 || ncols > TABLE_MAX_COLS)
        return -1;
    t->ncols = ncols;
    return add_row(t, headers, 1);
}

int table_add(struct table *t, const char *const *cells)
{
    return add_row(t, cells, 0);
}

void table_print(const struct table *t, FILE *f)
{
    size_t width[TABLE_MAX_COLS] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = table_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t pad = width[c] - table_width(s);
            int last = c + 1 == t->ncols;
            if (c > 0)
                fputs("  ", f);
            if (t->right[c])
                fprintf(f, "%*s%s", (int)pad, "", s);
            else
                fprintf(f, "%s%*s", s, last ? 0 : (int)pad, "");
        }
        fputc('\n', f);
    }
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
