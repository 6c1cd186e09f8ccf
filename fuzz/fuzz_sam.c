/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's SAM file (user:domain:LM:NT:::), read by two parsers: deskpool-guestd rewrites
 * it when the broker sets a user's NT hash (templates/guest/guestd/sam.c) and the desktop
 * server counts its usable lines to warn early (templates/guest/desktop/sam_check.c). Any
 * old content must give a new file in which the user's new line is there and usable, once,
 * and which the guest agent itself would keep whole on its next rewrite.
 */
#include "sam.h"
#include "sam_check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count_lines_of(const char *text, size_t len, const char *user)
{
    size_t n = 0, ulen = strlen(user);
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t llen = nl ? (size_t)(nl - text - i) : len - i;
        if (llen > ulen && memcmp(text + i, user, ulen) == 0 && text[i + ulen] == ':')
            n++;
        i += llen + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > SAM_FILE_MAX)
        return 0;
    (void)sam_count_usable((const char *)data, size);

    static const uint8_t hash[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const char *user = "alice";
    size_t out_len = 0, out_len2 = 0;
    int dropped = 0, dropped2 = 0;
    char *out = sam_replace_user((const char *)data, size, user, hash, &out_len, &dropped);
    if (!out)
        return 0;
    if (count_lines_of(out, out_len, user) != 1)
        abort(); /* the user has exactly one line afterwards */
    if (sam_count_usable(out, out_len) < 1)
        abort(); /* the desktop server would say nobody can log in */
    char *again = sam_replace_user(out, out_len, user, hash, &out_len2, &dropped2);
    if (!again)
        abort();
    if (dropped2 != 0 || out_len2 != out_len || memcmp(out, again, out_len) != 0)
        abort(); /* what it wrote, it keeps whole: a rewrite is stable */
    free(again);
    free(out);
    return 0;
}
