/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_API_JSON_H
#define DESKPOOL_BROKER_API_JSON_H

/*
 * Strict JSON request bodies, as pure functions over a buffer (unit-tested): a body is one
 * JSON object of at most API_BODY_MAX bytes whose keys are all known, with the types and
 * ranges the handler declares. Every refusal names the field and what is accepted.
 */
#include <jansson.h>
#include <stddef.h>

#define API_BODY_MAX (64 * 1024)

/*
 * Parses a body. An empty body is an empty object (for calls whose fields are all optional).
 * Returns 0 with *out (a new reference), 413 if len > API_BODY_MAX, or 400 if it is not one
 * JSON object (duplicate keys included); msg then says what and where.
 */
int api_json_body(const char *buf, size_t len, json_t **out, char *msg, size_t cap);

enum api_jtype {
    AJ_STRING, /* out: char[cap]; a string of at most cap - 1 bytes */
    AJ_INT,    /* out: int; an integer in [min, max] */
    AJ_BOOL,   /* out: int; true or false */
    AJ_COUNT,  /* out: int64_t; an integer from 0 to INT64_MAX (byte counters) */
};

struct api_field {
    const char *name;
    enum api_jtype type;
    int required; /* strings: also not empty */
    void *out;
    size_t cap;
    int min, max;
    int present; /* set by api_json_fields: the body had it */
};

/* Field declarations for handlers. */
#define API_STR(name, req, buf)                                                                    \
    {                                                                                              \
        (name), AJ_STRING, (req), (buf), sizeof(buf), 0, 0, 0                                      \
    }
#define API_INT(name, req, ptr, lo, hi)                                                            \
    {                                                                                              \
        (name), AJ_INT, (req), (ptr), 0, (lo), (hi), 0                                             \
    }
#define API_BOOL(name, req, ptr)                                                                   \
    {                                                                                              \
        (name), AJ_BOOL, (req), (ptr), 0, 0, 0, 0                                                  \
    }
#define API_COUNT(name, req, ptr)                                                                  \
    {                                                                                              \
        (name), AJ_COUNT, (req), (ptr), 0, 0, 0, 0                                                 \
    }

/*
 * Checks obj against fields (n of them): an unknown key, a missing required field, a wrong
 * type, a string too long or a number out of range is refused with status 400 and a
 * message naming the field. On success (0) the present fields are written to their outs
 * and flagged `present`; outs of absent fields are untouched (they hold the defaults).
 */
int api_json_fields(json_t *obj, struct api_field *fields, size_t n, char *msg, size_t cap);

/* The field named `name` in fields, or NULL. */
struct api_field *api_json_field(struct api_field *fields, size_t n, const char *name);

#endif
