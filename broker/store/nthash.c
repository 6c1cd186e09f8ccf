/* SPDX-License-Identifier: Apache-2.0 */
/* NT hash and NTOWFv2, with WinPR (OpenSSL 3 keeps MD4 in its legacy provider, which
 * WinPR's SSL init loads). */
#include "nthash.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <winpr/ntlm.h>
#include <winpr/ssl.h>

/* UTF-8 to UTF-16 (host order; WCHAR is little-endian on every platform WinPR runs us on).
 * Returns a calloc'd string and its length in units, or NULL on invalid UTF-8. WinPR's
 * *A functions assume one unit per byte, which is wrong beyond ASCII. */
static WCHAR *to_utf16(const char *s, size_t *units)
{
    size_t len = strlen(s), n = 0;
    WCHAR *w = calloc(len + 1, sizeof *w); /* never more units than bytes */
    if (!w)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp, min;
        size_t k;
        if (p[i] < 0x80)
            cp = p[i], k = 1, min = 0;
        else if ((p[i] & 0xE0) == 0xC0)
            cp = p[i] & 0x1F, k = 2, min = 0x80;
        else if ((p[i] & 0xF0) == 0xE0)
            cp = p[i] & 0x0F, k = 3, min = 0x800;
        else if ((p[i] & 0xF8) == 0xF0)
            cp = p[i] & 0x07, k = 4, min = 0x10000;
        else
            goto bad;
        if (i + k > len)
            goto bad;
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                goto bad;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += k;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            w[n++] = (WCHAR)(0xD800 | cp >> 10);
            w[n++] = (WCHAR)(0xDC00 | (cp & 0x3FF));
        } else {
            w[n++] = (WCHAR)cp;
        }
    }
    *units = n;
    return w;
bad:
    free(w);
    return NULL;
}

static void ssl_init(void)
{
    /* Idempotent; loads the legacy provider for MD4. */
    winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);
}

int nt_hash(const char *password, uint8_t out[16], struct dp_err *err)
{
    size_t units = 0;
    WCHAR *w = to_utf16(password, &units);
    if (!w) {
        dp_err_set(err, "password is not valid UTF-8; type it again in a UTF-8 terminal");
        return -1;
    }
    ssl_init();
    int ok = NTOWFv1W(w, (UINT32)(units * sizeof *w), out);
    memset(w, 0, units * sizeof *w);
    free(w);
    if (!ok) {
        dp_err_set(err, "computing the NT hash failed (MD4 unavailable: is OpenSSL's legacy "
                        "provider, ossl-modules/legacy.so, installed?)");
        return -1;
    }
    return 0;
}

int ntowfv2(const uint8_t nt[16], const char *user, const char *domain, uint8_t out[16],
            struct dp_err *err)
{
    size_t un = 0, dn = 0;
    BYTE key[16] = {0};
    WCHAR *u = to_utf16(user, &un);
    WCHAR *d = to_utf16(domain ? domain : "", &dn);
    int rc = -1;
    if (!u || !d) {
        dp_err_set(err, "user or domain name is not valid UTF-8");
        goto out;
    }
    ssl_init();
    memcpy(key, nt, 16);
    /* WinPR upper-cases a copy of the user name itself. */
    if (!NTOWFv2FromHashW(key, u, (UINT32)(un * sizeof *u), d, (UINT32)(dn * sizeof *d), out)) {
        dp_err_set(err, "computing the NTOWFv2 hash failed (HMAC-MD5 unavailable in OpenSSL?)");
        goto out;
    }
    rc = 0;
out:
    memset(key, 0, sizeof key);
    free(u);
    free(d);
    return rc;
}
