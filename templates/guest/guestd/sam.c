/* SPDX-License-Identifier: Apache-2.0 */
#include "sam.h"
#include "err.h"
#include "files.h"
#include "log.h"
#include "nthash.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sam_user_valid(const char *user, struct dp_err *err)
{
    size_t len = strlen(user);
    if (len == 0 || len > SAM_USER_MAX) {
        dp_err_set(err, "user name must be 1 to %d bytes long", SAM_USER_MAX);
        return -1;
    }
    if (user[0] == '#') {
        dp_err_set(err, "user name must not start with '#'");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)user[i];
        if (c < 0x20 || c == 0x7F || c == ':') {
            dp_err_set(err, "user name must not contain ':' or control characters");
            return -1;
        }
    }
    if (!utf8_valid((const uint8_t *)user, len)) {
        dp_err_set(err, "user name is not valid UTF-8");
        return -1;
    }
    return 0;
}

static int hash_field_ok(const char *s, size_t n)
{
    if (n == 0)
        return 1;
    if (n != 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
            return 0;
    }
    return 1;
}

/* Mirrors what FreeRDP's SAM reader accepts: >= 4 colons, LM and NT empty or 32 chars. */
static int line_ok(const char *line, size_t n)
{
    const char *colon[4];
    int found = 0;
    for (size_t i = 0; i < n && found < 4; i++) {
        if (line[i] == ':')
            colon[found++] = line + i;
    }
    if (found < 4)
        return 0;
    return hash_field_ok(colon[1] + 1, (size_t)(colon[2] - colon[1] - 1)) &&
           hash_field_ok(colon[2] + 1, (size_t)(colon[3] - colon[2] - 1));
}

char *sam_replace_user(const char *old, size_t old_len, const char *user, const uint8_t nt_hash[16],
                       size_t *out_len, int *dropped)
{
    size_t ulen = strlen(user);
    /* new line: user + ":::" + 32 hex + ":::\n" */
    size_t cap = old_len + ulen + 48;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = 0;
    *dropped = 0;
    for (size_t i = 0; i < old_len;) {
        const char *line = old + i;
        const char *nl = memchr(line, '\n', old_len - i);
        size_t llen = nl ? (size_t)(nl - line) : old_len - i;
        i += llen + (nl ? 1 : 0);
        size_t body = llen;
        /* Every trailing CR: the line is written back with "\n" only, so a rewrite of what
         * was written gives the same bytes (one CR stripped per rewrite would not). */
        while (body > 0 && line[body - 1] == '\r')
            body--;
        if (body == 0)
            continue;
        if (memchr(line, '\0', body)) {
            (*dropped)++;
            continue;
        }
        if (line[0] != '#') {
            if (!line_ok(line, body)) {
                (*dropped)++;
                continue;
            }
            if (body > ulen && memcmp(line, user, ulen) == 0 && line[ulen] == ':')
                continue; /* the user's old line(s), any domain */
        }
        memcpy(out + n, line, body);
        n += body;
        out[n++] = '\n';
    }
    n += (size_t)sprintf(out + n, "%s:::", user);
    for (int k = 0; k < 16; k++)
        n += (size_t)sprintf(out + n, "%02x", nt_hash[k]);
    n += (size_t)sprintf(out + n, ":::\n");
    *out_len = n;
    return out;
}

int sam_set_user(const char *path, const char *user, const uint8_t nt_hash[16], struct dp_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    if (dp_mkdirs(dirname(dir), 0700, err) != 0)
        return -1;

    size_t old_len = 0;
    char *old = NULL;
    if (dp_path_exists(path)) {
        old = dp_read_file(path, SAM_FILE_MAX, &old_len, err);
        if (!old)
            return -1;
    }
    int dropped = 0;
    size_t len = 0;
    char *text = sam_replace_user(old ? old : "", old_len, user, nt_hash, &len, &dropped);
    free(old);
    if (!text) {
        dp_err_set(err, "out of memory updating %s", path);
        return -1;
    }
    if (dropped)
        log_warn("%s: dropped %d malformed line(s) that would break FreeRDP's lookup", path,
                 dropped);
    int rc = dp_write_file_atomic(path, text, len, 0600, err);
    explicit_bzero(text, len);
    free(text);
    return rc;
}
