/* SPDX-License-Identifier: Apache-2.0 */
/* Pool naming patterns ("lab-{n:03}"): checking and formatting. */
#include "naming.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

static int literal_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Splits a pattern around its counter: prefix length, the counter's width (0 = none) and
 * where the suffix starts. Returns 0 or -1 with err set. */
static int split(const char *pattern, size_t *pre, int *width, const char **suffix,
                 struct dp_err *err)
{
    const char *open = strchr(pattern, '{');
    if (!open) {
        dp_err_set(err,
                   "naming pattern \"%s\" has no counter; add {n} or {n:03}, e.g. "
                   "\"lab-{n:03}\" for lab-001, lab-002, ...",
                   pattern);
        return -1;
    }
    *pre = (size_t)(open - pattern);
    const char *p = open + 1;
    *width = 0;
    if (strncmp(p, "n}", 2) == 0) {
        p += 2;
    } else if (strncmp(p, "n:0", 3) == 0 && p[3] >= '1' && p[3] <= '9' && p[4] == '}') {
        *width = p[3] - '0';
        p += 5;
    } else {
        dp_err_set(err,
                   "naming pattern \"%s\": the counter must be {n} or {n:0W} with W from "
                   "1 to 9, e.g. \"lab-{n:03}\"",
                   pattern);
        return -1;
    }
    *suffix = p;
    for (size_t i = 0; pattern[i]; i++) {
        if (pattern + i >= open && pattern + i < p)
            continue;
        if (!literal_ok(pattern[i])) {
            dp_err_set(err,
                       "naming pattern \"%s\": '%c' is not allowed; VM names use "
                       "lowercase letters, digits and '-' around one counter",
                       pattern, pattern[i]);
            return -1;
        }
    }
    if (pattern[0] == '-') {
        dp_err_set(err, "naming pattern \"%s\" must not start with '-'", pattern);
        return -1;
    }
    return 0;
}

int naming_check(const char *pattern, struct dp_err *err)
{
    char name[NAMING_NAME_MAX];
    /* Formatting the first name checks the syntax and the length at the common width. */
    return naming_format(pattern, 1, name, sizeof name, err);
}

int naming_format(const char *pattern, long n, char *out, size_t cap, struct dp_err *err)
{
    size_t pre;
    int width;
    const char *suffix;
    if (!pattern || split(pattern, &pre, &width, &suffix, err) != 0)
        return -1;
    if (n < 1) {
        dp_err_set(err, "naming pattern \"%s\": counter %ld out of range", pattern, n);
        return -1;
    }
    if (cap > NAMING_NAME_MAX)
        cap = NAMING_NAME_MAX;
    int w = snprintf(out, cap, "%.*s%0*ld%s", (int)pre, pattern, width, n, suffix);
    if (w < 0 || (size_t)w >= cap) {
        dp_err_set(err,
                   "naming pattern \"%s\" makes names longer than %d characters; "
                   "shorten it",
                   pattern, NAMING_NAME_MAX - 1);
        return -1;
    }
    return 0;
}
