/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-desktop's drawing: the built-in font, the desktop scene and the keyboard map. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "font.h"
#include "keymap.h"
#include "scene.h"

#define INK 0x00ff00u

/* Counts pixels of one colour in a rectangle. */
static int count_color(const struct fb *fb, int x, int y, int w, int h, uint32_t color)
{
    int n = 0;
    for (int row = y; row < y + h; row++)
        for (int col = x; col < x + w; col++)
            n += fb_get(fb, col, row) == color;
    return n;
}

START_TEST(fill_clips_to_the_framebuffer)
{
    struct fb fb;
    ck_assert_int_eq(fb_init(&fb, 10, 8), 0);
    fb_fill(&fb, -5, -5, 8, 8, INK); /* only a 3x3 corner is inside */
    ck_assert_int_eq(count_color(&fb, 0, 0, 10, 8, INK), 9);
    fb_fill(&fb, 8, 6, 1000000, 1000000, INK); /* 2x2 at the far corner */
    ck_assert_int_eq(count_color(&fb, 0, 0, 10, 8, INK), 13);
    fb_fill(&fb, 20, 20, 5, 5, INK); /* wholly outside: nothing, no crash */
    ck_assert_int_eq(count_color(&fb, 0, 0, 10, 8, INK), 13);
    ck_assert_uint_eq(fb_get(&fb, -1, 0), 0);
    ck_assert_uint_eq(fb_get(&fb, 10, 0), 0);
    fb_free(&fb);
    struct fb empty;
    ck_assert_int_eq(fb_init(&empty, 0, 8), -1);
    ck_assert_ptr_null(empty.px);
}
END_TEST

START_TEST(glyphs_have_the_expected_shapes)
{
    /* 'I' is a centred bar with serifs: middle column set in rows 0-6, corners clear. */
    for (int row = 0; row < 7; row++)
        ck_assert(font_dot('I', 2, row));
    ck_assert(!font_dot('I', 0, 3));
    ck_assert(!font_dot('I', 4, 3));
    /* Space is empty; only descenders reach rows 7-8. */
    for (int row = 0; row < FONT_GLYPH_H; row++)
        for (int col = 0; col < FONT_GLYPH_W; col++)
            ck_assert(!font_dot(' ', col, row));
    int g_desc = 0, a_desc = 0;
    for (int col = 0; col < FONT_GLYPH_W; col++) {
        g_desc += font_dot('g', col, 8);
        a_desc += font_dot('a', col, 7) + font_dot('a', col, 8);
    }
    ck_assert_int_gt(g_desc, 0);
    ck_assert_int_eq(a_desc, 0);
    /* Out of range dots are clear, never read past the table. */
    ck_assert(!font_dot('A', -1, 0));
    ck_assert(!font_dot('A', 5, 0));
    ck_assert(!font_dot('A', 0, 9));
    /* Every printable character draws something except space; distinct letters differ. */
    for (int c = 0x21; c < 0x7f; c++) {
        int dots = 0;
        for (int row = 0; row < FONT_GLYPH_H; row++)
            for (int col = 0; col < FONT_GLYPH_W; col++)
                dots += font_dot((unsigned char)c, col, row);
        ck_assert_msg(dots > 0, "glyph 0x%02x is empty", c);
    }
    int same = 1;
    for (int row = 0; row < FONT_GLYPH_H; row++)
        for (int col = 0; col < FONT_GLYPH_W; col++)
            same &= font_dot('O', col, row) == font_dot('0', col, row);
    ck_assert_msg(!same, "O and 0 must be told apart");
}
END_TEST

START_TEST(unknown_characters_draw_a_box)
{
    /* A box: the full outline of the 5x7 area. */
    for (int col = 0; col < 5; col++) {
        ck_assert(font_dot(0xc3, col, 0));
        ck_assert(font_dot(0xc3, col, 6));
    }
    ck_assert(font_dot('\t', 0, 3));
    ck_assert(!font_dot('\t', 2, 3));
}
END_TEST

START_TEST(text_is_drawn_at_scale_and_clipped)
{
    struct fb fb;
    ck_assert_int_eq(fb_init(&fb, 64, 32), 0);
    int x = font_draw_text(&fb, 2, 3, "I", 2, INK);
    ck_assert_int_eq(x, 2 + FONT_CELL_W * 2);
    ck_assert_int_eq(font_text_width("abc", 3), 3 * FONT_CELL_W * 3);
    ck_assert_int_eq(font_text_height(2), FONT_CELL_H * 2);
    /* 'I' has 7 + 2 + 2 = 11 dots; each is a 2x2 square. */
    ck_assert_int_eq(count_color(&fb, 0, 0, 64, 32, INK), 11 * 4);
    /* The stem (column 2) lands at x = 2 + 2*2 = 6..7 in rows 3..16. */
    ck_assert_uint_eq(fb_get(&fb, 6, 3), INK);
    ck_assert_uint_eq(fb_get(&fb, 7, 16), INK);
    ck_assert_uint_eq(fb_get(&fb, 6, 17), 0);
    /* Text running off the edge is clipped, not written past the buffer. */
    font_draw_text(&fb, 50, 25, "WWWWWWWW", 3, INK);
    fb_free(&fb);
}
END_TEST

static struct key_result press(struct keymap_state *st, uint8_t code)
{
    struct key_result r = keymap_feed(st, KEYMAP_FLAG_DOWN, code);
    keymap_feed(st, KEYMAP_FLAG_RELEASE, code);
    return r;
}

START_TEST(keys_map_to_us_text)
{
    struct keymap_state st = {0};
    ck_assert_int_eq(press(&st, 0x23).ch, 'h');
    ck_assert_int_eq(press(&st, 0x02).ch, '1');
    ck_assert_int_eq(press(&st, 0x39).ch, ' ');
    ck_assert_int_eq(press(&st, 0x28).ch, '\'');
    ck_assert_int_eq(press(&st, 0x2b).ch, '\\');
    /* Shift held: capitals and symbols; released: back to plain. */
    keymap_feed(&st, KEYMAP_FLAG_DOWN, 0x2a);
    ck_assert_int_eq(press(&st, 0x23).ch, 'H');
    ck_assert_int_eq(press(&st, 0x02).ch, '!');
    keymap_feed(&st, KEYMAP_FLAG_RELEASE, 0x2a);
    ck_assert_int_eq(press(&st, 0x02).ch, '1');
    /* Caps Lock changes letters only, and Shift undoes it. */
    press(&st, 0x3a);
    ck_assert_int_eq(press(&st, 0x1e).ch, 'A');
    ck_assert_int_eq(press(&st, 0x02).ch, '1');
    keymap_feed(&st, KEYMAP_FLAG_DOWN, 0x36);
    ck_assert_int_eq(press(&st, 0x1e).ch, 'a');
    keymap_feed(&st, KEYMAP_FLAG_RELEASE, 0x36);
    keymap_sync(&st, 0);
    ck_assert_int_eq(press(&st, 0x1e).ch, 'a');
    /* Editing keys and keys without text. */
    ck_assert_int_eq(press(&st, 0x0e).kind, KEY_BACKSPACE);
    ck_assert_int_eq(press(&st, 0x1c).kind, KEY_ENTER);
    ck_assert_int_eq(keymap_feed(&st, KEYMAP_FLAG_DOWN | KEYMAP_FLAG_EXTENDED, 0x1c).kind,
                     KEY_ENTER);
    ck_assert_int_eq(keymap_feed(&st, KEYMAP_FLAG_DOWN | KEYMAP_FLAG_EXTENDED, 0x48).kind,
                     KEY_NONE);                        /* up arrow */
    ck_assert_int_eq(press(&st, 0x1d).kind, KEY_NONE); /* ctrl */
    ck_assert_int_eq(press(&st, 0x3b).kind, KEY_NONE); /* F1 */
    ck_assert_int_eq(keymap_feed(&st, KEYMAP_FLAG_RELEASE, 0x23).kind, KEY_NONE);
    ck_assert_int_eq(press(&st, 0xff).kind, KEY_NONE);
}
END_TEST

START_TEST(scene_edits_the_typed_line)
{
    struct scene s;
    scene_init(&s, "vm-7", "LAB\\alice", 1000);
    ck_assert_str_eq(s.hostname, "vm-7");
    ck_assert_str_eq(s.user, "LAB\\alice");
    scene_type_char(&s, 'h');
    scene_type_char(&s, 'i');
    scene_type_char(&s, '\n'); /* not printable: ignored */
    ck_assert_str_eq(s.line, "hi");
    scene_backspace(&s);
    ck_assert_str_eq(s.line, "h");
    scene_enter(&s);
    ck_assert_str_eq(s.line, "");
    ck_assert_str_eq(s.last_line, "h");
    scene_backspace(&s); /* on an empty line: nothing */
    ck_assert_str_eq(s.line, "");
    for (int i = 0; i < SCENE_LINE_MAX + 50; i++)
        scene_type_char(&s, 'x');
    ck_assert_uint_eq(strlen(s.line), SCENE_LINE_MAX);
    ck_assert_uint_eq(s.keys, 5 + SCENE_LINE_MAX + 50 + 1);
    /* Control characters in names cannot reach the picture as layout. */
    scene_init(&s, "a\tb", "x\ny", 0);
    ck_assert_str_eq(s.hostname, "a?b");
    ck_assert_str_eq(s.user, "x?y");
}
END_TEST

START_TEST(scene_counts_clicks_and_keeps_recent_marks)
{
    struct scene s;
    scene_init(&s, "vm", "alice", 0);
    scene_mouse_move(&s, 5, 6);
    ck_assert(s.mouse_seen);
    for (int i = 0; i < SCENE_CLICK_MARKS + 3; i++)
        scene_mouse_click(&s, i, i);
    ck_assert_uint_eq(s.clicks, SCENE_CLICK_MARKS + 3);
    ck_assert_int_eq(s.n_marks, SCENE_CLICK_MARKS);
    ck_assert_int_eq(s.mouse_x, SCENE_CLICK_MARKS + 2);
}
END_TEST

START_TEST(render_paints_background_card_and_text)
{
    struct fb a, b;
    ck_assert_int_eq(fb_init(&a, 1024, 768), 0);
    ck_assert_int_eq(fb_init(&b, 1024, 768), 0);
    struct scene s;
    scene_init(&s, "vm-1", "alice", 1700000000);
    scene_render(&s, 1700000000, &a);
    /* The background colour the integration test looks for, at the bottom-left corner. */
    ck_assert_uint_eq(fb_get(&a, 2, 766), SCENE_BG);
    ck_assert_int_gt(count_color(&a, 0, 0, 1024, 768, SCENE_BG), 10000);

    /* The clock ticks: one second later some pixels change, but not the whole screen. */
    scene_render(&s, 1700000001, &b);
    size_t diff = 0;
    for (size_t i = 0; i < (size_t)1024 * 768; i++)
        diff += a.px[i] != b.px[i];
    ck_assert_uint_gt(diff, 0);
    ck_assert_uint_lt(diff, (size_t)1024 * 768 / 20);

    /* Typing shows up, and so does a click mark. */
    scene_render(&s, 1700000001, &a);
    scene_type_char(&s, 'W');
    scene_mouse_click(&s, 600, 600);
    scene_render(&s, 1700000001, &b);
    diff = 0;
    for (size_t i = 0; i < (size_t)1024 * 768; i++)
        diff += a.px[i] != b.px[i];
    ck_assert_uint_gt(diff, 50);
    ck_assert_uint_ne(fb_get(&b, 600, 600), fb_get(&a, 600, 600));

    /* Tiny and huge screens render without writing outside the buffer. */
    fb_free(&a);
    ck_assert_int_eq(fb_init(&a, 3, 2), 0);
    scene_render(&s, 0, &a);
    fb_free(&a);
    fb_free(&b);
}
END_TEST

START_TEST(logoff_button_is_drawn_where_clicks_hit_it)
{
    int sizes[][2] = {{1024, 768}, {800, 600}, {1920, 1080}, {640, 480}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        struct scene_rect b = scene_logoff_button(w, h);
        ck_assert(b.x > 0 && b.y > 0 && b.x + b.w < w && b.y + b.h < h);
        ck_assert(scene_hits_logoff(w, h, b.x + b.w / 2, b.y + b.h / 2));
        ck_assert(scene_hits_logoff(w, h, b.x, b.y));
        ck_assert(!scene_hits_logoff(w, h, b.x - 1, b.y));
        ck_assert(!scene_hits_logoff(w, h, b.x + b.w, b.y + b.h));
        ck_assert(!scene_hits_logoff(w, h, w / 2, h / 3)); /* the typing area */

        /* The button is painted there (its label leaves some of its colour visible). */
        struct fb fb;
        struct scene s;
        ck_assert_int_eq(fb_init(&fb, w, h), 0);
        scene_init(&s, "vm", "alice", 0);
        scene_render(&s, 0, &fb);
        ck_assert_int_gt(count_color(&fb, b.x, b.y, b.w, b.h, fb_get(&fb, b.x + 2, b.y + 2)),
                         b.w * b.h / 2);
        ck_assert_uint_ne(fb_get(&fb, b.x + 2, b.y + 2), SCENE_BG);
        fb_free(&fb);
    }
}
END_TEST

START_TEST(session_view_round_trips_and_id_is_shown)
{
    struct scene s, t;
    scene_init(&s, "vm", "alice", 1700000000);
    scene_type_char(&s, 'h');
    scene_type_char(&s, 'i');
    scene_enter(&s);
    scene_type_char(&s, 'x');
    scene_mouse_click(&s, 5, 5);
    struct session_view v;
    scene_get_view(&s, &v);
    scene_init(&t, "vm", "alice", 1700000000);
    scene_set_view(&t, &v);
    ck_assert_str_eq(t.last_line, "hi");
    ck_assert_str_eq(t.line, "x");
    ck_assert_uint_eq(t.keys, 4);
    ck_assert_uint_eq(t.clicks, 1);

    /* The session id is on the desktop: ids 3 and 4 draw differently, nothing else does. */
    struct fb a, b;
    ck_assert_int_eq(fb_init(&a, 1024, 768), 0);
    ck_assert_int_eq(fb_init(&b, 1024, 768), 0);
    t.session_id = 3;
    scene_render(&t, 1700000000, &a);
    t.session_id = 4;
    scene_render(&t, 1700000000, &b);
    size_t diff = 0;
    for (size_t i = 0; i < (size_t)1024 * 768; i++)
        diff += a.px[i] != b.px[i];
    ck_assert_uint_gt(diff, 0);
    ck_assert_uint_lt(diff, 200);
    fb_free(&a);
    fb_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("desktop_render");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, fill_clips_to_the_framebuffer);
    tcase_add_test(tc, glyphs_have_the_expected_shapes);
    tcase_add_test(tc, unknown_characters_draw_a_box);
    tcase_add_test(tc, text_is_drawn_at_scale_and_clipped);
    tcase_add_test(tc, keys_map_to_us_text);
    tcase_add_test(tc, scene_edits_the_typed_line);
    tcase_add_test(tc, scene_counts_clicks_and_keeps_recent_marks);
    tcase_add_test(tc, render_paints_background_card_and_text);
    tcase_add_test(tc, logoff_button_is_drawn_where_clicks_hit_it);
    tcase_add_test(tc, session_view_round_trips_and_id_is_shown);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
