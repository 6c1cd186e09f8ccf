/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_KEYS_H
#define DESKPOOL_PROBE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <freerdp/freerdp.h>

/*
 * Typing text into the remote desktop. Servers that announce unicode input get one unicode
 * key event per UTF-16 code unit, whatever the keyboard layout; others get US-layout
 * scancodes, which cover printable ASCII, tab and newline only.
 */

/* US-layout set-1 scancode for an ASCII character, and whether it needs Shift.
 * Returns 0, or -1 if the character has no key. */
int probe_ascii_scancode(char c, uint8_t *scancode, int *shift);

/* Decodes the next UTF-8 character of s (at most len bytes) into *cp; returns the number of
 * bytes used, or -1 on malformed input. */
int probe_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * Sends text as key presses and releases. Returns 0, or -1 with msg saying which character
 * could not be typed (only in scancode mode) or that sending failed.
 */
int probe_type_text(rdpInput *input, int unicode, const char *text, char *msg, size_t msg_size);

#endif
