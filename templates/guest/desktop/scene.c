/* SPDX-License-Identifier: Apache-2.0 */
#include "scene.h"

#include <stdio.h>
#include <string.h>

#include "font.h"

#define BAR_BG 0x0f2740u
#define CARD_BG 0xf2f2eeu
#define CARD_EDGE 0x7f9fbfu
#define INK 0x1a1a1au
#define SOFT_INK 0x55606au
#define WHITE 0xffffffu
#define ACCENT 0xc75000u
#define FIELD_BG 0xffffffu
#define MOUSE_MARK 0xff8c00u
#define CLICK_MARK 0xffd700u

void scene_set_text(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    if (n == 0)
        return;
    for (; src && src[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
}

void scene_init(struct scene *s, const char *hostname, const char *user, time_t login_time)
{
    memset(s, 0, sizeof *s);
    scene_set_text(s->hostname, sizeof s->hostname, hostname);
    scene_set_text(s->user, sizeof s->user, user);
    s->login_time = login_time;
}

_Static_assert(sizeof(((struct scene *)0)->line) == REPORT_TEXT_MAX &&
                   sizeof(((struct scene *)0)->last_line) == REPORT_TEXT_MAX,
               "a session_view must hold a typed line");

void scene_get_view(const struct scene *s, struct session_view *v)
{
    memset(v, 0, sizeof *v);
    v->clicks = s->clicks;
    v->keys = s->keys;
    memcpy(v->line, s->line, sizeof v->line);
    memcpy(v->last_line, s->last_line, sizeof v->last_line);
}

void scene_set_view(struct scene *s, const struct session_view *v)
{
    s->clicks = v->clicks;
    s->keys = v->keys;
    scene_set_text(s->line, sizeof s->line, v->line);
    scene_set_text(s->last_line, sizeof s->last_line, v->last_line);
}

void scene_type_char(struct scene *s, char c)
{
    size_t len = strlen(s->line);
    s->keys++;
    if (c < 0x20 || c > 0x7e || len >= SCENE_LINE_MAX)
        return;
    s->line[len] = c;
    s->line[len + 1] = '\0';
}

void scene_backspace(struct scene *s)
{
    size_t len = strlen(s->line);
    s->keys++;
    if (len > 0)
        s->line[len - 1] = '\0';
}

void scene_enter(struct scene *s)
{
    s->keys++;
    memcpy(s->last_line, s->line, sizeof s->last_line);
    s->line[0] = '\0';
}

void scene_mouse_move(struct scene *s, int x, int y)
{
    s->mouse_x = x;
    s->mouse_y = y;
    s->mouse_seen = 1;
}

void scene_mouse_click(struct scene *s, int x, int y)
{
    scene_mouse_move(s, x, y);
    s->clicks++;
    s->marks[s->next_mark].x = x;
    s->marks[s->next_mark].y = y;
    s->next_mark = (s->next_mark + 1) % SCENE_CLICK_MARKS;
    if (s->n_marks < SCENE_CLICK_MARKS)
        s->n_marks++;
}

/* The tail of text that fits in max_w pixels: the end of a long typed line is what matters. */
static const char *tail_that_fits(const char *text, int scale, int max_w)
{
    int max_chars = max_w / (FONT_CELL_W * scale);
    size_t len = strlen(text);
    if (max_chars <= 0)
        return text + len;
    return (int)len > max_chars ? text + len - (size_t)max_chars : text;
}

/* "label value" on one line, the label in soft ink. Returns the y of the next line. */
static int labelled(struct fb *fb, int x, int y, int scale, const char *label, const char *value,
                    int max_w)
{
    int vx = font_draw_text(fb, x, y, label, scale, SOFT_INK);
    font_draw_text(fb, vx, y, tail_that_fits(value, scale, max_w - (vx - x)), scale, INK);
    return y + font_text_height(scale) + scale * 3;
}

static void draw_mouse(const struct scene *s, struct fb *fb, int unit)
{
    for (int i = 0; i < s->n_marks; i++)
        fb_fill(fb, s->marks[i].x - unit * 2, s->marks[i].y - unit * 2, unit * 4, unit * 4,
                CLICK_MARK);
    if (!s->mouse_seen)
        return;
    /* A crosshair with a gap in the middle, so the client's own pointer stays visible. */
    int x = s->mouse_x, y = s->mouse_y, arm = unit * 6, gap = unit * 2;
    fb_fill(fb, x - arm, y - unit / 2, arm - gap, unit, MOUSE_MARK);
    fb_fill(fb, x + gap, y - unit / 2, arm - gap, unit, MOUSE_MARK);
    fb_fill(fb, x - unit / 2, y - arm, unit, arm - gap, MOUSE_MARK);
    fb_fill(fb, x - unit / 2, y + gap, unit, arm - gap, MOUSE_MARK);
}

/* One size knob: 3 at 1024x768, 1 on small screens, more on large ones. */
static int scale_for(int w, int h)
{
    int scale = w / 340 < h / 250 ? w / 340 : h / 250;
    return scale < 1 ? 1 : scale;
}

static const char LOGOFF_LABEL[] = "Log off";
static const char HINT[] = "Closing the window disconnects; Log off (or typing logoff) ends the "
                           "session.";

/* The card that holds everything but the top bar. */
static struct scene_rect card_of(int w, int h, int scale)
{
    int small = scale > 1 ? scale - 1 : 1;
    int bar_h = font_text_height(small) + small * 6;
    int margin = scale * 10;
    struct scene_rect r = {margin, bar_h + margin, w - 2 * margin, 0};
    r.h = h - r.y - margin;
    return r;
}

struct scene_rect scene_logoff_button(int width, int height)
{
    int scale = scale_for(width, height);
    int small = scale > 1 ? scale - 1 : 1;
    struct scene_rect card = card_of(width, height, scale);
    struct scene_rect b;
    b.w = font_text_width(LOGOFF_LABEL, scale) + scale * 8;
    b.h = font_text_height(scale) + scale * 4;
    b.x = card.x + card.w - scale * 6 - b.w;
    /* Bottom right of the card, above the hint line. */
    b.y = card.y + card.h - scale * 4 - font_text_height(small) - scale * 3 - b.h;
    return b;
}

int scene_hits_logoff(int width, int height, int x, int y)
{
    struct scene_rect b = scene_logoff_button(width, height);
    return x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
}

void scene_render(const struct scene *s, time_t now, struct fb *fb)
{
    int w = fb->width, h = fb->height;
    int scale = scale_for(w, h);
    int small = scale > 1 ? scale - 1 : 1;
    int unit = scale > 1 ? scale - 1 : 1;

    struct tm tm;
    char clock[32], date_time[64], since[64], session[96], mouse[96];
    localtime_r(&now, &tm);
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    strftime(date_time, sizeof date_time, "%Y-%m-%d %H:%M:%S %Z", &tm);
    localtime_r(&s->login_time, &tm);
    strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", &tm);
    if (s->session_id > 0)
        snprintf(session, sizeof session, "%d since %s", s->session_id, since);
    else
        snprintf(session, sizeof session, "- since %s", since);

    fb_fill(fb, 0, 0, w, h, SCENE_BG);

    /* Top bar: product name on the left, the clock on the right. */
    int bar_h = font_text_height(small) + small * 6;
    fb_fill(fb, 0, 0, w, bar_h, BAR_BG);
    font_draw_text(fb, small * 4, small * 3, "deskpool desktop", small, WHITE);
    font_draw_text(fb, w - small * 4 - font_text_width(clock, small), small * 3, clock, small,
                   WHITE);

    /* The card with everything a person (or a screenshot test) wants to read. */
    struct scene_rect card = card_of(w, h, scale);
    int cx = card.x, cy = card.y, cw = card.w, ch = card.h;
    fb_fill(fb, cx, cy, cw, ch, CARD_BG);
    fb_frame(fb, cx, cy, cw, ch, CARD_EDGE);
    int x = cx + scale * 6, y = cy + scale * 6, text_w = cw - scale * 12;

    /* The VM's name is what tells desktops apart: biggest text on the card. */
    int vx = font_draw_text(fb, x, y + scale, "computer: ", scale, SOFT_INK);
    font_draw_text(fb, vx, y, tail_that_fits(s->hostname, scale + 1, text_w - (vx - x)), scale + 1,
                   ACCENT);
    y += font_text_height(scale + 1) + scale * 4;
    y = labelled(fb, x, y, scale, "user: ", s->user, text_w);
    y = labelled(fb, x, y, small, "session: ", session, text_w);
    y = labelled(fb, x, y, scale, "time: ", date_time, text_w);
    y += scale * 3;

    /* The typed line sits in a white field with a caret, like a text box. */
    font_draw_text(fb, x, y, "typed:", small, SOFT_INK);
    y += font_text_height(small);
    int field_h = font_text_height(scale) + scale * 4;
    fb_fill(fb, x, y, text_w, field_h, FIELD_BG);
    fb_frame(fb, x, y, text_w, field_h, CARD_EDGE);
    const char *shown = tail_that_fits(s->line, scale, text_w - scale * 8);
    int caret_x = font_draw_text(fb, x + scale * 2, y + scale * 2, shown, scale, INK);
    fb_fill(fb, caret_x, y + scale * 2, scale, font_text_height(scale) - scale, ACCENT);
    y += field_h + scale * 3;
    y = labelled(fb, x, y, small, "last line: ", s->last_line, text_w);

    if (s->mouse_seen)
        snprintf(mouse, sizeof mouse, "mouse: %d,%d   clicks: %u   keys: %u", s->mouse_x,
                 s->mouse_y, s->clicks, s->keys);
    else
        snprintf(mouse, sizeof mouse, "mouse: -   clicks: %u   keys: %u", s->clicks, s->keys);
    y = labelled(fb, x, y, small, "", mouse, text_w);

    font_draw_text(fb, x, cy + ch - scale * 4 - font_text_height(small), HINT, small, SOFT_INK);

    struct scene_rect b = scene_logoff_button(w, h);
    fb_fill(fb, b.x, b.y, b.w, b.h, ACCENT);
    fb_frame(fb, b.x, b.y, b.w, b.h, INK);
    font_draw_text(fb, b.x + scale * 4, b.y + scale * 2, LOGOFF_LABEL, scale, WHITE);

    draw_mouse(s, fb, unit);
}
