/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_FONT_H
#define DESKPOOL_DESKTOP_FONT_H

#include "draw.h"

/*
 * A small built-in bitmap font, drawn by hand for deskpool (no font files in the guest).
 * Each glyph is 5 x 9 dots: rows 0-6 hold capitals and digits, rows 7-8 the descenders.
 * A character cell adds one dot of spacing on the right and one row below: 6 x 10 dots.
 * Printable ASCII only; anything else is drawn as a hollow box so it stays visible.
 */
enum { FONT_GLYPH_W = 5, FONT_GLYPH_H = 9, FONT_CELL_W = 6, FONT_CELL_H = 10 };

/* Whether dot (col,row) of character c is set; out-of-range dots are clear. */
int font_dot(unsigned char c, int col, int row);

/* Width and height in pixels of text drawn at the given scale (one line, no wrapping). */
int font_text_width(const char *text, int scale);
int font_text_height(int scale);

/*
 * Draws text with its cell's top-left corner at (x,y), each dot a scale x scale square.
 * Clipped to the framebuffer. Returns the x just past the last cell.
 */
int font_draw_text(struct fb *fb, int x, int y, const char *text, int scale, uint32_t color);

#endif
