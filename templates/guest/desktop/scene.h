/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_SCENE_H
#define DESKPOOL_DESKTOP_SCENE_H

#include <time.h>

#include "draw.h"
#include "report.h"

/*
 * What one session's desktop shows: the VM name, who is logged in and since when, a
 * clock, the line being typed, and where the mouse is and was clicked. A plain model plus
 * a render function that paints all of it; the encoder sends only the tiles that changed.
 */
enum { SCENE_LINE_MAX = 120, SCENE_CLICK_MARKS = 8 };

/* The background colour; the integration test looks for it in screenshots. */
#define SCENE_BG 0x1f4e79u

struct scene {
    char hostname[64];
    char user[160]; /* "DOMAIN\user" or "user" */
    time_t login_time;
    int session_id;                /* 0: not known */
    char line[SCENE_LINE_MAX + 1]; /* being typed */
    char last_line[SCENE_LINE_MAX + 1];
    int mouse_x, mouse_y, mouse_seen;
    unsigned clicks, keys;
    struct {
        int x, y;
    } marks[SCENE_CLICK_MARKS];
    int n_marks, next_mark;
};

/* Sets up an empty scene; text is copied and made printable (see scene_set_text). */
void scene_init(struct scene *s, const char *hostname, const char *user, time_t login_time);

/* Input that changes the picture. */
void scene_type_char(struct scene *s, char c);
void scene_backspace(struct scene *s);
void scene_enter(struct scene *s);
void scene_mouse_move(struct scene *s, int x, int y);
void scene_mouse_click(struct scene *s, int x, int y);

/* What a session keeps of its desktop while disconnected, and puts back on resume. */
void scene_get_view(const struct scene *s, struct session_view *v);
void scene_set_view(struct scene *s, const struct session_view *v);

/* Where the "Log off" button is on a width x height desktop. */
struct scene_rect {
    int x, y, w, h;
};
struct scene_rect scene_logoff_button(int width, int height);
/* Whether a click at x,y on a width x height desktop hits the "Log off" button. */
int scene_hits_logoff(int width, int height, int x, int y);

/* Copies src into dst (size n), replacing control characters so nothing injects layout. */
void scene_set_text(char *dst, size_t n, const char *src);

/* Paints the whole desktop as it looks at time now. */
void scene_render(const struct scene *s, time_t now, struct fb *fb);

#endif
