/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 certificate fingerprints as people paste and read them (pure; see connect.h). */
#include "connect.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

int fingerprint_normalize(const char *in, char out[CONN_FP_LEN + 1])
{
    size_t n = 0;
    /* openssl prints "sha256 Fingerprint=AB:CD:..."; FreeRDP and others "SHA256:..." */
    const char *eq = strchr(in, '=');
    if (eq)
        in = eq + 1;
    if (strncasecmp(in, "sha256:", 7) == 0)
        in += 7;
    for (const char *p = in; *p; p++) {
        if (*p == ':' || *p == ' ')
            continue;
        if (!isxdigit((unsigned char)*p) || n >= CONN_FP_LEN)
            return -1;
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
    return n == CONN_FP_LEN ? 0 : -1;
}

void fingerprint_display(const char *hex, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; hex[i] && hex[i + 1] && o + 4 <= cap; i += 2) {
        if (i)
            buf[o++] = ':';
        buf[o++] = (char)toupper((unsigned char)hex[i]);
        buf[o++] = (char)toupper((unsigned char)hex[i + 1]);
    }
    if (cap)
        buf[o < cap ? o : cap - 1] = '\0';
}
