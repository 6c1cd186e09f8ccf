/* SPDX-License-Identifier: Apache-2.0 */
/* Cookie header parsing (RFC 6265) and the session cookie's Set-Cookie. */
#include "cookie.h"

#include <stdio.h>
#include <string.h>

/* cookie-octet of RFC 6265: printable ASCII but space, '"', ',', ';' and '\'. */
static int cookie_octet(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

int cookie_find(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = len - nl - 1;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            if (vl == 0 || vl >= cap)
                return -1;
            for (size_t i = 0; i < vl; i++)
                if (!cookie_octet((unsigned char)v[i]))
                    return -1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 0;
        }
        p = end;
    }
    return -1;
}

int cookie_session_header(const char *value, int max_age, char *out, size_t cap)
{
    for (const char *v = value; *v; v++)
        if (!cookie_octet((unsigned char)*v))
            return -1;
    int n = snprintf(out, cap,
                     PORTAL_COOKIE "=%s; Path=/; Max-Age=%d; Secure; HttpOnly; "
                                   "SameSite=Strict",
                     value, max_age < 0 ? 0 : max_age);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
