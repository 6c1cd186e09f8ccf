/* SPDX-License-Identifier: Apache-2.0 */
#include "gw_limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024u

struct entry {
    struct entry *next;
    size_t count;
    char key[64]; /* an IPv6 address fits in 46 */
};

struct gw_limits {
    size_t max_total, max_per_source, total;
    struct entry *bucket[BUCKETS];
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h % BUCKETS;
}

struct gw_limits *gw_limits_new(int max_total, int max_per_source)
{
    struct gw_limits *l = calloc(1, sizeof *l);
    if (l) {
        l->max_total = (size_t)max_total;
        l->max_per_source = (size_t)max_per_source;
    }
    return l;
}

void gw_limits_free(struct gw_limits *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < BUCKETS; i++) {
        for (struct entry *e = l->bucket[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    }
    free(l);
}

static struct entry **find(const struct gw_limits *l, const char *source)
{
    struct entry **pp = (struct entry **)&l->bucket[hash(source)];
    while (*pp && strncmp((*pp)->key, source, sizeof(*pp)->key) != 0)
        pp = &(*pp)->next;
    return pp;
}

int gw_limits_admit(struct gw_limits *l, const char *source)
{
    if (l->total >= l->max_total)
        return 1;
    struct entry **pp = find(l, source);
    if (*pp && (*pp)->count >= l->max_per_source)
        return 2;
    if (!*pp) {
        struct entry *e = calloc(1, sizeof *e);
        if (!e)
            return -1;
        strncpy(e->key, source, sizeof e->key - 1);
        *pp = e;
    }
    (*pp)->count++;
    l->total++;
    return 0;
}

void gw_limits_release(struct gw_limits *l, const char *source)
{
    struct entry **pp = find(l, source);
    if (!*pp)
        return;
    if (l->total)
        l->total--;
    if (--(*pp)->count == 0) {
        struct entry *e = *pp;
        *pp = e->next;
        free(e);
    }
}

size_t gw_limits_total(const struct gw_limits *l)
{
    return l->total;
}

size_t gw_limits_of(const struct gw_limits *l, const char *source)
{
    struct entry **pp = find(l, source);
    return *pp ? (*pp)->count : 0;
}
