/* SPDX-License-Identifier: Apache-2.0 */
/* Request bodies: size limit, one JSON object, declared fields only. */
#include "api_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Messages quote what the client sent (jansson's "near '...'", an unknown key) and are cut
 * to the caller's buffer; both can leave bytes that are not UTF-8, and the reply's JSON
 * encoder then refuses the whole message, so the client would get an error without a word.
 * Every byte of a broken or cut sequence becomes '?'.
 */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t need = *p < 0x80             ? 0
                      : (*p & 0xe0) == 0xc0 ? 1
                      : (*p & 0xf0) == 0xe0 ? 2
                      : (*p & 0xf8) == 0xf0 ? 3
                                            : 4;
        size_t k = 1;
        while (need < 4 && k <= need && (p[k] & 0xc0) == 0x80)
            k++;
        json_t *probe = NULL;
        if (need > 0 && need < 4 && k == need + 1) {
            char one[5] = {0};
            memcpy(one, p, k);
            probe = json_string(one); /* overlong forms and surrogates are refused too */
        }
        if (need == 0 || probe) {
            json_decref(probe);
            p += need + 1;
            continue;
        }
        *p++ = '?';
    }
}

int api_json_body(const char *buf, size_t len, json_t **out, char *msg, size_t cap)
{
    *out = NULL;
    if (len > API_BODY_MAX) {
        snprintf(msg, cap, "the request body is %zu bytes; the limit is %d bytes", len,
                 API_BODY_MAX);
        return 413;
    }
    if (len == 0) {
        *out = json_object();
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(msg, cap, "the request body is not valid JSON: %s (line %d, column %d)", je.text,
                 je.line, je.column);
        utf8_clean(msg);
        return 400;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(msg, cap, "the request body must be a JSON object ({\"field\": value, ...})");
        return 400;
    }
    *out = j;
    return 0;
}

struct api_field *api_json_field(struct api_field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* "a, b or c" of the field names, for the unknown-field message. */
static void list_names(const struct api_field *f, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(out + used, cap - used, "%s\"%s\"", sep, f[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int check_one(json_t *v, struct api_field *f, char *msg, size_t cap)
{
    switch (f->type) {
    case AJ_STRING: {
        if (!json_is_string(v)) {
            snprintf(msg, cap, "field \"%s\" must be a string", f->name);
            return 400;
        }
        size_t len = json_string_length(v);
        const char *s = json_string_value(v);
        if (len >= f->cap || strlen(s) != len) {
            snprintf(msg, cap, "field \"%s\" must be at most %zu bytes without NUL characters",
                     f->name, f->cap - 1);
            return 400;
        }
        if (f->required && len == 0) {
            snprintf(msg, cap, "field \"%s\" must not be empty", f->name);
            return 400;
        }
        return 0;
    }
    case AJ_INT: {
        if (!json_is_integer(v)) {
            snprintf(msg, cap, "field \"%s\" must be a whole number from %d to %d", f->name, f->min,
                     f->max);
            return 400;
        }
        json_int_t i = json_integer_value(v);
        if (i < f->min || i > f->max) {
            snprintf(msg, cap, "field \"%s\" is %lld; it must be from %d to %d", f->name,
                     (long long)i, f->min, f->max);
            return 400;
        }
        return 0;
    }
    case AJ_COUNT:
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            snprintf(msg, cap, "field \"%s\" must be a whole number, 0 or more", f->name);
            return 400;
        }
        return 0;
    case AJ_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(msg, cap, "field \"%s\" must be true or false", f->name);
            return 400;
        }
        return 0;
    }
    return 400;
}

int api_json_fields(json_t *obj, struct api_field *fields, size_t n, char *msg, size_t cap)
{
    const char *key;
    json_t *v;
    for (size_t i = 0; i < n; i++)
        fields[i].present = 0;
    json_object_foreach(obj, key, v)
    {
        struct api_field *f = api_json_field(fields, n, key);
        if (!f) {
            char names[512];
            list_names(fields, n, names, sizeof names);
            if (n)
                snprintf(msg, cap, "unknown field \"%s\"; this call takes %s", key, names);
            else
                snprintf(msg, cap, "unknown field \"%s\"; this call takes no body", key);
            utf8_clean(msg);
            return 400;
        }
        int rc = check_one(v, f, msg, cap);
        if (rc) {
            utf8_clean(msg);
            return rc;
        }
        f->present = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (fields[i].required && !fields[i].present) {
            snprintf(msg, cap, "field \"%s\" is missing", fields[i].name);
            return 400;
        }
    }
    /* Only now write the outs, so a refused body leaves the caller's defaults intact. */
    for (size_t i = 0; i < n; i++) {
        struct api_field *f = &fields[i];
        if (!f->present)
            continue;
        json_t *val = json_object_get(obj, f->name);
        if (f->type == AJ_STRING)
            snprintf(f->out, f->cap, "%s", json_string_value(val));
        else if (f->type == AJ_INT)
            *(int *)f->out = (int)json_integer_value(val);
        else if (f->type == AJ_COUNT)
            *(int64_t *)f->out = (int64_t)json_integer_value(val);
        else
            *(int *)f->out = json_is_true(val);
    }
    return 0;
}
