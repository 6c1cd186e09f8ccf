/* SPDX-License-Identifier: Apache-2.0 */
/* Route pattern matching: "/pools/ * /recompose" style, one segment per "*". */
#include "api_route.h"

#include <string.h>

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
    return strcspn(s, "/");
}

int api_route_match(const char *pattern, const char *path, char caps[][API_CAPTURE_MAX], int *ncaps)
{
    int n = 0;
    const char *p = pattern, *s = path;
    for (;;) {
        if (*p == '\0') {
            /* Pattern done: the path may only have one trailing slash left. */
            if (*s == '\0' || (s[0] == '/' && s[1] == '\0' && s != path))
                break;
            return 0;
        }
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        size_t pl = seg_len(p), sl = seg_len(s);
        if (sl == 0)
            return 0;
        if (pl == 1 && *p == '*') {
            if (n >= API_MAX_CAPTURES || sl >= API_CAPTURE_MAX || memchr(s, '%', sl))
                return 0;
            memcpy(caps[n], s, sl);
            caps[n][sl] = '\0';
            n++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    *ncaps = n;
    return 1;
}
