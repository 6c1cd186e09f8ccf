/* SPDX-License-Identifier: Apache-2.0 */
#include "users_file.h"
#include "nthash.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Finds an existing entry for user+domain. */
static json_t *find_entry(json_t *list, const char *user, const char *domain)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *d = json_string_value(json_object_get(e, "domain"));
        if (strcmp(json_string_value(json_object_get(e, "user")), user) == 0 &&
            strcmp(d ? d : "", domain) == 0)
            return e;
    }
    return NULL;
}

static int field_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20)
            return 0;
    }
    return utf8_valid((const uint8_t *)s, n);
}

/* One parsed line; session_id 0 and active for the old three-column lines. */
struct users_line {
    const char *user, *domain;
    double when;
    long session_id;
    int active;
};

/*
 * Parses one line: USER<TAB>DOMAIN<TAB>LOGIN[<TAB>SESSION_ID<TAB>active|disconnected].
 * Returns 0 and fills l, -1 when malformed.
 */
static int parse_line(char *line, struct users_line *l)
{
    char *f[5];
    int n = 0;
    for (char *p = line;; p++) {
        if (n == 5)
            return -1;
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p = '\0';
    }
    if (n != 3 && n != 5)
        return -1;
    if (!*f[0] || strlen(f[0]) > 256 || strlen(f[1]) > 256 || !field_ok(f[0], strlen(f[0])) ||
        !field_ok(f[1], strlen(f[1])))
        return -1;
    char *end = NULL;
    double t = strtod(f[2], &end);
    if (end == f[2] || *end != '\0' || !isfinite(t) || t < 0)
        return -1;
    l->user = f[0];
    l->domain = f[1];
    l->when = t;
    l->session_id = 0;
    l->active = 1;
    if (n == 5) {
        long id = strtol(f[3], &end, 10);
        if (end == f[3] || *end != '\0' || id <= 0 || id > 0x7fffffffL || f[3][0] == '+')
            return -1;
        if (strcmp(f[4], "active") == 0)
            l->active = 1;
        else if (strcmp(f[4], "disconnected") == 0)
            l->active = 0;
        else
            return -1;
        l->session_id = id;
    }
    return 0;
}

/* A new answer entry for l. */
static json_t *new_entry(const struct users_line *l)
{
    json_t *e = *l->domain ? json_pack("{s:s,s:s,s:f}", "user", l->user, "domain", l->domain,
                                       "login-time", l->when)
                           : json_pack("{s:s,s:f}", "user", l->user, "login-time", l->when);
    if (!e)
        return NULL;
    if (l->session_id > 0 &&
        (json_object_set_new(e, "deskpool-session-id", json_integer(l->session_id)) != 0 ||
         json_object_set_new(e, "deskpool-state",
                             json_string(l->active ? "active" : "disconnected")) != 0))
        goto fail;
    return e;
fail:
    json_decref(e);
    return NULL;
}

/* A second session of the same user: the earliest login (and its session id) is reported,
 * and the user counts as connected if any of their sessions is. */
static void merge_entry(json_t *e, const struct users_line *l)
{
    if (l->when < json_real_value(json_object_get(e, "login-time"))) {
        json_object_set_new(e, "login-time", json_real(l->when));
        if (l->session_id > 0)
            json_object_set_new(e, "deskpool-session-id", json_integer(l->session_id));
    }
    if (l->session_id <= 0)
        return;
    if (!json_object_get(e, "deskpool-state") || l->active)
        json_object_set_new(e, "deskpool-state",
                            json_string(l->active ? "active" : "disconnected"));
    if (!json_object_get(e, "deskpool-session-id"))
        json_object_set_new(e, "deskpool-session-id", json_integer(l->session_id));
}

json_t *users_file_parse(const char *text, size_t len)
{
    json_t *list = json_array();
    char *copy = malloc(len + 1);
    if (!list || !copy) {
        free(copy);
        json_decref(list);
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        struct users_line l;
        if (parse_line(line, &l) != 0)
            continue;
        json_t *e = find_entry(list, l.user, l.domain);
        if (!e && json_array_size(list) >= USERS_MAX)
            continue; /* bounded answer; a desktop VM has one or a few sessions */
        if (e) {
            merge_entry(e, &l);
            continue;
        }
        e = new_entry(&l);
        if (!e || json_array_append_new(list, e) != 0) {
            json_decref(list);
            free(copy);
            return NULL;
        }
    }
    free(copy);
    return list;
}
