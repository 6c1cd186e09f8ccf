/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_KEYMAP_H
#define DESKPOOL_DESKTOP_KEYMAP_H

#include <stdint.h>

/*
 * Turns RDP keyboard events (PC/AT set-1 scancodes, as every RDP client sends them) into
 * text with a US layout. That is all the demo desktop needs: the point is to show that
 * input reaches the guest, not to be a full keyboard driver.
 */
struct keymap_state {
    int lshift, rshift; /* held down */
    int caps_lock;      /* toggled */
};

enum keymap_kind { KEY_NONE, KEY_CHAR, KEY_BACKSPACE, KEY_ENTER, KEY_ESCAPE };

struct key_result {
    enum keymap_kind kind;
    char ch; /* for KEY_CHAR: a printable ASCII character */
};

/* RDP slow-path/fast-path keyboard flags (MS-RDPBCGR 2.2.8.1.1.3.1.1.1), as FreeRDP passes them. */
enum {
    KEYMAP_FLAG_EXTENDED = 0x0100,
    KEYMAP_FLAG_DOWN = 0x4000,
    KEYMAP_FLAG_RELEASE = 0x8000,
};

/* Feeds one event (flags, scancode); updates modifier state and says what it typed. */
struct key_result keymap_feed(struct keymap_state *st, uint16_t flags, uint8_t code);

/* Applies a Synchronize event's lock flags (MS-RDPBCGR TS_SYNC_EVENT: 0x4 = caps lock). */
void keymap_sync(struct keymap_state *st, uint32_t toggle_flags);

#endif
