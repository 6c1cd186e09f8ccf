/* SPDX-License-Identifier: Apache-2.0 */
#include "utf16.h"

#include "wire.h"

int gw_utf16le_to_utf8(const uint8_t *src, size_t units, int stop_at_nul, char *dst, size_t cap,
                       const char **why)
{
    size_t out = 0;

    if (cap == 0) {
        *why = "no room for the converted string";
        return -1;
    }
    dst[0] = '\0';
    for (size_t i = 0; i < units; i++) {
        uint32_t c = gw_rd16le(src + 2 * i);
        if (c == 0) {
            if (stop_at_nul)
                break;
            *why = "NUL character inside the string";
            return -1;
        }
        if (c >= 0xDC00 && c <= 0xDFFF) {
            *why = "UTF-16 low surrogate without a high surrogate before it";
            return -1;
        }
        if (c >= 0xD800 && c <= 0xDBFF) {
            uint32_t lo = i + 1 < units ? gw_rd16le(src + 2 * (i + 1)) : 0;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                *why = "UTF-16 high surrogate without a low surrogate after it";
                return -1;
            }
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            i++;
        }
        uint8_t b[4];
        size_t n;
        if (c < 0x80) {
            b[0] = (uint8_t)c;
            n = 1;
        } else if (c < 0x800) {
            b[0] = (uint8_t)(0xC0 | c >> 6);
            b[1] = (uint8_t)(0x80 | (c & 0x3F));
            n = 2;
        } else if (c < 0x10000) {
            b[0] = (uint8_t)(0xE0 | c >> 12);
            b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            b[2] = (uint8_t)(0x80 | (c & 0x3F));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | c >> 18);
            b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
            b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            b[3] = (uint8_t)(0x80 | (c & 0x3F));
            n = 4;
        }
        if (n > cap - 1 - out) {
            dst[out] = '\0';
            *why = "the converted string is longer than the gateway accepts";
            return -1;
        }
        for (size_t k = 0; k < n; k++)
            dst[out++] = (char)b[k];
    }
    dst[out] = '\0';
    return (int)out;
}
