/* SPDX-License-Identifier: Apache-2.0 */
#include "keymap.h"

#include <ctype.h>

/* US layout for scancodes 0x00-0x39, unshifted and shifted; 0 = no character.
 * One row per 16 scancodes, so a code's place in the table is easy to check. */
// clang-format off
static const char plain[0x3a] = {
    0,   0,   '1', '2', '3', '4', '5', '6', '7', '8', '9', '0',  '-', '=', 0,   0,   /* 0x00 */
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']',  0,   0,   'a', 's', /* 0x10 */
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,  '\\', 'z', 'x', 'c', 'v', /* 0x20 */
    'b', 'n', 'm', ',', '.', '/', 0,   '*', 0,   ' ',                               /* 0x30 */
};
static const char shifted[0x3a] = {
    0,   0,   '!', '@', '#', '$', '%', '^', '&', '*', '(', ')',  '_', '+', 0,   0,   /* 0x00 */
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}',  0,   0,   'A', 'S', /* 0x10 */
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|',  'Z', 'X', 'C', 'V', /* 0x20 */
    'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' ',                               /* 0x30 */
};
// clang-format on

enum {
    SC_ESCAPE = 0x01,
    SC_BACKSPACE = 0x0e,
    SC_ENTER = 0x1c,
    SC_LSHIFT = 0x2a,
    SC_RSHIFT = 0x36,
    SC_CAPS = 0x3a,
    SC_KP_SLASH = 0x35, /* with the extended flag */
};

struct key_result keymap_feed(struct keymap_state *st, uint16_t flags, uint8_t code)
{
    struct key_result r = {KEY_NONE, 0};
    int down = !(flags & KEYMAP_FLAG_RELEASE);
    int extended = (flags & KEYMAP_FLAG_EXTENDED) != 0;

    if (code == SC_LSHIFT && !extended) {
        st->lshift = down;
        return r;
    }
    if (code == SC_RSHIFT) {
        st->rshift = down;
        return r;
    }
    if (!down)
        return r;
    if (code == SC_CAPS) {
        st->caps_lock = !st->caps_lock;
        return r;
    }
    if (code == SC_ENTER) { /* main Enter and keypad Enter (extended) alike */
        r.kind = KEY_ENTER;
        return r;
    }
    if (code == SC_BACKSPACE) {
        r.kind = KEY_BACKSPACE;
        return r;
    }
    if (code == SC_ESCAPE) {
        r.kind = KEY_ESCAPE;
        return r;
    }
    /* Extended codes are arrows, Home, Ctrl-right ... except keypad '/'. */
    if (extended && code != SC_KP_SLASH)
        return r;
    if (code >= sizeof plain)
        return r;
    int shift = st->lshift || st->rshift;
    char c = shift ? shifted[code] : plain[code];
    if (c == 0)
        return r;
    /* Caps Lock flips the case of letters only, as on a real keyboard. */
    if (st->caps_lock && isalpha((unsigned char)c))
        c = (char)(isupper((unsigned char)c) ? tolower((unsigned char)c)
                                             : toupper((unsigned char)c));
    r.kind = KEY_CHAR;
    r.ch = c;
    return r;
}

void keymap_sync(struct keymap_state *st, uint32_t toggle_flags)
{
    st->caps_lock = (toggle_flags & 0x4) != 0;
}
