/* SPDX-License-Identifier: Apache-2.0 */
/* JSON to tables and key/value lines (see cli_render.h). */
#include "cli_render.h"

#include "cli_table.h"

#include <string.h>
#include <time.h>

json_t *render_get(json_t *obj, const char *path)
{
    char key[128];
    while (obj && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        path += n + (dot ? 1 : 0);
    }
    return obj;
}

static void format_duration(long long s, char *buf, size_t cap)
{
    if (s < 0)
        snprintf(buf, cap, "%llds", s);
    else if (s < 60)
        snprintf(buf, cap, "%llds", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void scalar(json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, cap, "%g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, cap, "yes");
    else if (json_is_false(v))
        snprintf(buf, cap, "no");
    else
        snprintf(buf, cap, "-");
}

void render_value(json_t *v, enum render_kind kind, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
        snprintf(buf, cap, "-");
        return;
    }
    if (kind == R_TIME && json_is_number(v)) {
        time_t t = (time_t)json_number_value(v);
        struct tm tm;
        if (t <= 0 || !localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
            snprintf(buf, cap, "-");
        return;
    }
    if (kind == R_DURATION && json_is_number(v)) {
        format_duration((long long)json_number_value(v), buf, cap);
        return;
    }
    if (json_is_array(v)) {
        size_t i, n = 0;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            char one[256];
            scalar(e, one, sizeof one);
            int w = snprintf(buf + n, cap - n, "%s%s", i ? "," : "", one);
            if (w < 0 || (size_t)w >= cap - n)
                break;
            n += (size_t)w;
        }
        if (n == 0)
            snprintf(buf, cap, "-");
        return;
    }
    if (json_is_object(v)) {
        snprintf(buf, cap, "{...}");
        return;
    }
    scalar(v, buf, cap);
}

int render_table(FILE *f, json_t *items, const struct render_col *cols, size_t ncols,
                 const char *empty_msg)
{
    if (!json_is_array(items) || json_array_size(items) == 0) {
        if (empty_msg)
            fprintf(f, "%s\n", empty_msg);
        return 0;
    }
    const char *headers[TABLE_MAX_COLS];
    char cells[TABLE_MAX_COLS][512];
    const char *row[TABLE_MAX_COLS];
    struct table t;
    if (ncols > TABLE_MAX_COLS)
        return -1;
    for (size_t c = 0; c < ncols; c++)
        headers[c] = cols[c].header;
    if (table_init(&t, headers, ncols) != 0)
        return -1;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        for (size_t c = 0; c < ncols; c++) {
            render_value(render_get(item, cols[c].path), cols[c].kind, cells[c], sizeof cells[c]);
            row[c] = cells[c];
        }
        if (table_add(&t, row) != 0) {
            table_free(&t);
            return -1;
        }
    }
    table_print(&t, f);
    table_free(&t);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum render_kind kind_of(const char *key)
{
    static const char *times[] = {"created",      "started", "last_seen", "ts", "state_changed",
                                  "locked_until", "updated", "expires",   NULL};
    const char *leaf = strrchr(key, '.');
    leaf = leaf ? leaf + 1 : key;
    for (int i = 0; times[i]; i++)
        if (strcmp(leaf, times[i]) == 0)
            return R_TIME;
    if (ends_with(leaf, "_at"))
        return R_TIME;
    if (ends_with(leaf, "_s"))
        return R_DURATION;
    return R_TEXT;
}

/* Collects "key: value" pairs depth-first into t (two columns). */
static void collect(struct table *t, json_t *obj, const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char name[256], value[1024];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (json_is_object(v)) {
            collect(t, v, name);
            continue;
        }
        if (json_is_array(v) && json_array_size(v) > 0 &&
            (json_is_object(json_array_get(v, 0)) || json_is_array(json_array_get(v, 0))))
            continue; /* lists of objects get their own table from the command */
        render_value(v, kind_of(name), value, sizeof value);
        strncat(name, ":", sizeof name - strlen(name) - 1);
        const char *row[2] = {name, value};
        table_add(t, row);
    }
}

void render_object(FILE *f, json_t *obj)
{
    static const char *const headers[2] = {"", ""};
    struct table t;
    if (!json_is_object(obj) || table_init(&t, headers, 2) != 0)
        return;
    collect(&t, obj, "");
    /* Row 0 is the (empty) header; print the rest. */
    struct table body = t;
    body.cells = t.cells + 2;
    body.nrows = t.nrows - 1;
    table_print(&body, f);
    table_free(&t);
}
