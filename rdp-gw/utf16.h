/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_UTF16_H
#define DESKPOOL_GW_UTF16_H

#include <stddef.h>
#include <stdint.h>

/*
 * UTF-16LE (what RDP and NTLM put on the wire) to UTF-8 (what the broker speaks).
 * Converts `units` code units from src into dst (cap bytes, always NUL-terminated when
 * cap > 0). A NUL unit ends the string when stop_at_nul is set and is refused otherwise,
 * because a name with a NUL inside would be cut short by every C consumer.
 * Returns the UTF-8 length without the NUL, or -1 with *why set: a lone surrogate, or the
 * result would not fit in cap - 1 bytes. Never reads past src + 2 * units.
 */
int gw_utf16le_to_utf8(const uint8_t *src, size_t units, int stop_at_nul, char *dst, size_t cap,
                       const char **why);

#endif
