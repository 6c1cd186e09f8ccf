/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway key file: made on first start, then only read. */
#include "gateway_key.h"
#include "err.h"
#include "files.h"

#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int create_key(const char *path, struct dp_err *err)
{
    unsigned char raw[32];
    char hex[sizeof raw * 2 + 2];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        dp_err_set(err, "no randomness for the gateway key %s; try again", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    hex[64] = '\n';
    hex[65] = '\0';
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    int rc = dp_mkdirs(dirname(dir), 0755, err);
    if (rc == 0)
        rc = dp_write_file_atomic(path, hex, 65, 0600, err);
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(hex, sizeof hex);
    return rc;
}

int gateway_key_load(const char *path, char *out, size_t cap, struct dp_err *err)
{
    if (!dp_path_exists(path) && create_key(path, err) != 0)
        return -1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        dp_err_errno(err, "gateway key %s is not a readable file", path);
        return -1;
    }
    if (st.st_mode & 077) {
        dp_err_set(err, "gateway key %s can be read by others (mode %03o); run: chmod 600 %s", path,
                   (unsigned)(st.st_mode & 0777), path);
        return -1;
    }
    size_t len;
    char *text = dp_read_file(path, 4096, &len, err);
    if (!text)
        return -1;
    char *s = text;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    int rc = -1;
    if (n < 32 || n >= cap || memchr(s, '\n', n))
        dp_err_set(err,
                   "gateway key %s must be one line of 32 to %zu characters; remove the file "
                   "to have deskpoold make a new one",
                   path, cap - 1);
    else {
        memcpy(out, s, n);
        out[n] = '\0';
        rc = 0;
    }
    OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}
