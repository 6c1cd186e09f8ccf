/* SPDX-License-Identifier: Apache-2.0 */
#include "nthash.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <winpr/ntlm.h>
#include <winpr/ssl.h>

/* Decodes one code point; returns its length in bytes or 0 if invalid. */
static size_t utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

int utf8_valid(const uint8_t *s, size_t len)
{
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

int nthash_utf8(const uint8_t *password, size_t len, uint8_t hash[16], struct dp_err *err)
{
    /* At most one UTF-16 unit per byte; +1 so an empty password still gets a buffer. */
    WCHAR *wide = calloc(len + 1, sizeof *wide);
    if (!wide) {
        dp_err_set(err, "out of memory hashing the password");
        return -1;
    }
    size_t units = 0;
    int rc = -1;
    /* MD4 sits in OpenSSL 3's "legacy" provider, which WinPR loads here (so legacy.so
     * must be in the guest image: ossl-modules/legacy.so). Idempotent. */
    winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_next(password + i, len - i, &cp);
        if (n == 0) {
            dp_err_set(err, "password is not valid UTF-8; send it UTF-8 encoded, then base64");
            goto out;
        }
        if (cp == 0) {
            dp_err_set(err, "password contains a NUL character; choose another password");
            goto out;
        }
        i += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            wide[units++] = (WCHAR)(0xD800 | (cp >> 10));
            wide[units++] = (WCHAR)(0xDC00 | (cp & 0x3FF));
        } else {
            wide[units++] = (WCHAR)cp;
        }
    }
    if (!NTOWFv1W(wide, (UINT32)(units * sizeof *wide), hash)) {
        dp_err_set(err, "WinPR could not compute the NT hash (MD4 unavailable: is OpenSSL's "
                        "legacy provider, ossl-modules/legacy.so, installed?)");
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(wide, (len + 1) * sizeof *wide);
    free(wide);
    return rc;
}
