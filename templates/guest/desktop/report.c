/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A message being built: text appended at at, failing once anything does not fit. */
struct out {
    char *buf;
    size_t cap, at;
    int bad;
};

/* Appends s with control characters replaced; fails if s has max bytes or more. */
static void put_text(struct out *o, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (o->bad || n >= max || o->at + n + 1 > o->cap) {
        o->bad = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        o->buf[o->at++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    o->buf[o->at] = '\0';
}

static void put_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_fmt(struct out *o, const char *fmt, ...)
{
    if (o->bad)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->at, o->cap - o->at, fmt, ap);
    va_end(ap);
    if (n < 0 || o->at + (size_t)n + 1 > o->cap)
        o->bad = 1;
    else
        o->at += (size_t)n;
}

static int finish(struct out *o)
{
    if (o->bad) {
        if (o->cap > 0)
            o->buf[0] = '\0';
        return -1;
    }
    return (int)o->at;
}

static struct out start(char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    if (cap > 0)
        buf[0] = '\0';
    return o;
}

int report_format_up(char *buf, size_t cap, const char *user, const char *domain, time_t login)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "UP\t");
    put_text(&o, user, REPORT_FIELD_MAX);
    put_fmt(&o, "\t");
    put_text(&o, domain, REPORT_FIELD_MAX);
    put_fmt(&o, "\t%lld", (long long)login);
    return finish(&o);
}

/* "\tclicks\tkeys\tline\tlast" */
static void put_view(struct out *o, const struct session_view *v)
{
    put_fmt(o, "\t%u\t%u\t", v->clicks, v->keys);
    put_text(o, v->line, REPORT_TEXT_MAX);
    put_fmt(o, "\t");
    put_text(o, v->last_line, REPORT_TEXT_MAX);
}

int report_format_state(char *buf, size_t cap, const struct session_view *v)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "STATE");
    put_view(&o, v);
    return finish(&o);
}

int report_format_logoff(char *buf, size_t cap)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "LOGOFF");
    return finish(&o);
}

int report_format_session(char *buf, size_t cap, int id, time_t login, int resumed,
                          const struct session_view *v)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "SESSION\t%d\t%lld\t%d", id < 0 ? 0 : id, (long long)login, resumed ? 1 : 0);
    put_view(&o, v);
    return finish(&o);
}

int report_format_bye(char *buf, size_t cap)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "BYE");
    return finish(&o);
}

int report_format_kick(char *buf, size_t cap, enum report_kick why)
{
    struct out o = start(buf, cap);
    put_fmt(&o, "KICK\t%s", why == KICK_ADMIN_LOGOFF ? "admin" : "other");
    return finish(&o);
}

/* ---- parsing ---------------------------------------------------------------------------- */

enum { MAX_FIELDS = 8 };

struct field {
    const char *p;
    size_t n;
};

/* Splits msg at tabs into at most MAX_FIELDS fields; -1 if there are more, or any control
 * character other than the tabs. */
static int split(const char *msg, size_t len, struct field *f, int *count)
{
    int n = 0;
    const char *p = msg, *end = msg + len;
    for (;;) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *stop = tab ? tab : end;
        if (n == MAX_FIELDS)
            return -1;
        for (const char *q = p; q < stop; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                return -1;
        f[n].p = p;
        f[n].n = (size_t)(stop - p);
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    *count = n;
    return 0;
}

static int is(const struct field *f, const char *word)
{
    return f->n == strlen(word) && memcmp(f->p, word, f->n) == 0;
}

/* A decimal number of at most max_digits digits (no sign); -1 otherwise. */
static int number(const struct field *f, int max_digits, long long *out)
{
    if (f->n == 0 || f->n > (size_t)max_digits)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->p[i] < '0' || f->p[i] > '9')
            return -1;
        v = v * 10 + (f->p[i] - '0');
    }
    *out = v;
    return 0;
}

static int text(const struct field *f, char *out, size_t cap)
{
    if (f->n >= cap)
        return -1;
    memcpy(out, f->p, f->n);
    out[f->n] = '\0';
    return 0;
}

/* Fields clicks, keys, line, last starting at f[0]. */
static int view(const struct field *f, struct session_view *v)
{
    long long clicks, keys;
    if (number(&f[0], 9, &clicks) != 0 || number(&f[1], 9, &keys) != 0 ||
        text(&f[2], v->line, sizeof v->line) != 0 ||
        text(&f[3], v->last_line, sizeof v->last_line) != 0)
        return -1;
    v->clicks = (unsigned)clicks;
    v->keys = (unsigned)keys;
    return 0;
}

int report_parse_msg(const char *msg, size_t len, struct report_msg *out)
{
    struct field f[MAX_FIELDS];
    int n = 0;
    long long v;
    memset(out, 0, sizeof *out);
    if (split(msg, len, f, &n) != 0)
        return -1;
    if (is(&f[0], "UP") && n == 4) {
        if (f[1].n == 0 || text(&f[1], out->user, sizeof out->user) != 0 ||
            text(&f[2], out->domain, sizeof out->domain) != 0 || number(&f[3], 18, &v) != 0)
            return -1;
        out->kind = REPORT_UP;
        out->login = v;
        return 0;
    }
    if (is(&f[0], "STATE") && n == 5) {
        out->kind = REPORT_STATE;
        return view(&f[1], &out->view);
    }
    if (is(&f[0], "LOGOFF") && n == 1) {
        out->kind = REPORT_LOGOFF;
        return 0;
    }
    if (is(&f[0], "SESSION") && n == 8) {
        long long id, resumed;
        if (number(&f[1], 9, &id) != 0 || number(&f[2], 18, &v) != 0 ||
            number(&f[3], 1, &resumed) != 0 || resumed > 1 || view(&f[4], &out->view) != 0)
            return -1;
        out->kind = REPORT_SESSION;
        out->session_id = (int)id;
        out->login = v;
        out->resumed = (int)resumed;
        return 0;
    }
    if (is(&f[0], "BYE") && n == 1) {
        out->kind = REPORT_BYE;
        return 0;
    }
    if (is(&f[0], "KICK") && n == 2) {
        if (is(&f[1], "other"))
            out->kick = KICK_OTHER_CONNECTION;
        else if (is(&f[1], "admin"))
            out->kick = KICK_ADMIN_LOGOFF;
        else
            return -1;
        out->kind = REPORT_KICK;
        return 0;
    }
    return -1;
}
