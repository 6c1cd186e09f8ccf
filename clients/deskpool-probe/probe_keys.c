/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_keys.h"

#include <stdio.h>
#include <string.h>

#include <freerdp/input.h>

#define SC_LSHIFT 0x2A

/* Characters in the order of their set-1 scancodes, unshifted and shifted, from the US
 * keyboard's rows; a space marks a code with no printable character. */
static const struct {
    uint8_t first;
    const char *plain;
    const char *shifted;
} rows[] = {
    {0x02, "1234567890-=", "!@#$%^&*()_+"},
    {0x10, "qwertyuiop[]", "QWERTYUIOP{}"},
    {0x1E, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
    {0x2B, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
};

int probe_ascii_scancode(char c, uint8_t *scancode, int *shift)
{
    *shift = 0;
    switch (c) {
    case ' ':
        *scancode = 0x39;
        return 0;
    case '\n':
    case '\r':
        *scancode = 0x1C;
        return 0;
    case '\t':
        *scancode = 0x0F;
        return 0;
    default:
        break;
    }
    if (c == '\0')
        return -1;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *p = strchr(rows[i].plain, c);
        if (p) {
            *scancode = (uint8_t)(rows[i].first + (p - rows[i].plain));
            return 0;
        }
        p = strchr(rows[i].shifted, c);
        if (p) {
            *scancode = (uint8_t)(rows[i].first + (p - rows[i].shifted));
            *shift = 1;
            return 0;
        }
    }
    return -1;
}

int probe_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    int n;
    uint32_t v;

    if (len == 0)
        return -1;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xE0) == 0xC0) {
        n = 2;
        v = u[0] & 0x1F;
    } else if ((u[0] & 0xF0) == 0xE0) {
        n = 3;
        v = u[0] & 0x0F;
    } else if ((u[0] & 0xF8) == 0xF0) {
        n = 4;
        v = u[0] & 0x07;
    } else {
        return -1;
    }
    if ((size_t)n > len)
        return -1;
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return -1;
        v = v << 6 | (u[i] & 0x3F);
    }
    /* Reject overlong forms, surrogates and values past Unicode. */
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return -1;
    *cp = v;
    return n;
}

static int send_unicode_unit(rdpInput *input, uint16_t unit)
{
    if (!freerdp_input_send_unicode_keyboard_event(input, 0, unit))
        return -1;
    if (!freerdp_input_send_unicode_keyboard_event(input, KBD_FLAGS_RELEASE, unit))
        return -1;
    return 0;
}

static int send_scancode(rdpInput *input, uint8_t sc, int shift)
{
    if (shift && !freerdp_input_send_keyboard_event(input, KBD_FLAGS_DOWN, SC_LSHIFT))
        return -1;
    if (!freerdp_input_send_keyboard_event(input, KBD_FLAGS_DOWN, sc))
        return -1;
    if (!freerdp_input_send_keyboard_event(input, KBD_FLAGS_RELEASE, sc))
        return -1;
    if (shift && !freerdp_input_send_keyboard_event(input, KBD_FLAGS_RELEASE, SC_LSHIFT))
        return -1;
    return 0;
}

int probe_type_text(rdpInput *input, int unicode, const char *text, char *msg, size_t msg_size)
{
    size_t len = strlen(text);
    size_t off = 0;

    while (off < len) {
        uint32_t cp;
        int n = probe_utf8_next(text + off, len - off, &cp);
        int rc;

        if (n < 0) {
            snprintf(msg, msg_size, "--type-text: byte %zu is not valid UTF-8", off);
            return -1;
        }
        if (unicode) {
            if (cp >= 0x10000) {
                /* Unicode key events carry UTF-16 code units: send the surrogate pair. */
                uint32_t v = cp - 0x10000;
                rc = send_unicode_unit(input, (uint16_t)(0xD800 + (v >> 10)));
                if (rc == 0)
                    rc = send_unicode_unit(input, (uint16_t)(0xDC00 + (v & 0x3FF)));
            } else {
                rc = send_unicode_unit(input, (uint16_t)cp);
            }
        } else {
            uint8_t sc;
            int shift;
            if (cp > 0x7F || probe_ascii_scancode((char)cp, &sc, &shift) < 0) {
                snprintf(msg, msg_size,
                         "--type-text: the server does not accept unicode input and character "
                         "U+%04X at byte %zu has no US-keyboard key; type ASCII only",
                         (unsigned)cp, off);
                return -1;
            }
            rc = send_scancode(input, sc, shift);
        }
        if (rc < 0) {
            snprintf(msg, msg_size, "--type-text: sending key events failed at byte %zu", off);
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}
