/* SPDX-License-Identifier: Apache-2.0 */
#include "sam_check.h"

#include <ctype.h>
#include <stdlib.h>

#include "err.h"
#include "files.h"

/* Whether line[0..len) is a usable entry (see sam_check.h). */
static int usable_line(const char *line, size_t len)
{
    const char *field[5];
    size_t flen[5];
    size_t start = 0;
    int n = 0;
    for (size_t i = 0; i <= len && n < 5; i++) {
        if (i == len || line[i] == ':') {
            field[n] = line + start;
            flen[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    /* WinPR needs at least four colons: user, domain, LM, NT and what follows. */
    if (n < 5 || flen[0] == 0)
        return 0;
    if (flen[2] != 0 && flen[2] != 32)
        return 0;
    if (flen[3] != 32)
        return 0;
    for (size_t i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)field[3][i]))
            return 0;
    return 1;
}

int sam_count_usable(const char *text, size_t len)
{
    int count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            size_t end = i;
            if (end > start && text[end - 1] == '\r')
                end--;
            count += usable_line(text + start, end - start);
            start = i + 1;
        }
    }
    return count;
}

int sam_check_file(const char *path, struct dp_err *err)
{
    size_t len = 0;
    /* A SAM file of a guest holds a handful of lines; 1 MiB is far beyond any real one. */
    char *text = dp_read_file(path, 1 << 20, &len, err);
    if (!text)
        return -1;
    int count = sam_count_usable(text, len);
    free(text);
    return count;
}
