/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_RENDER_H
#define DESKPOOL_CLI_RENDER_H

/* deskpoold's JSON as a person reads it: lists as tables, objects as "key: value" lines. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum render_kind {
    R_TEXT,     /* strings as is, numbers, booleans as yes/no, null as "-" */
    R_TIME,     /* unix seconds as local "YYYY-MM-DD HH:MM:SS"; 0 or null as "-" */
    R_DURATION, /* seconds as "1h02m", "3m05s", "12s" */
    R_LIST,     /* an array of scalars joined with "," */
};

struct render_col {
    const char *header; /* '>' first: right-aligned */
    const char *path;   /* key, or "a.b" into nested objects */
    enum render_kind kind;
};

/* The value at a dotted path in obj, or NULL. */
json_t *render_get(json_t *obj, const char *path);
/* Formats one value as a cell into buf. */
void render_value(json_t *v, enum render_kind kind, char *buf, size_t cap);
/* Prints an array of objects as a table; an empty one prints empty_msg (a hint) instead. */
int render_table(FILE *f, json_t *items, const struct render_col *cols, size_t ncols,
                 const char *empty_msg);
/* Prints an object's scalars as aligned "key: value" lines, nested objects flattened as
 * "a.b", arrays of scalars joined; arrays of objects are left to the caller. Keys named like
 * times ("created", "ts", "*_at", ...) print as times, "*_s" as durations. */
void render_object(FILE *f, json_t *obj);

#endif
