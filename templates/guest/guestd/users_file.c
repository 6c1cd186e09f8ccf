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

/* Parses one line; returns 0 and fills the fields, -1 when malformed. */
static int parse_line(char *line, const char **user, const char **domain, double *when)
{
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2 || tab1 == line || tab1 - line > 256 || tab2 - tab1 - 1 > 256)
        return -1;
    *tab1 = *tab2 = '\0';
    if (!field_ok(line, strlen(line)) || !field_ok(tab1 + 1, strlen(tab1 + 1)))
        return -1;
    char *end = NULL;
    double t = strtod(tab2 + 1, &end);
    if (end == tab2 + 1 || *end != '\0' || !isfinite(t) || t < 0)
        return -1;
    *user = line;
    *domain = tab1 + 1;
    *when = t;
    return 0;
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
        const char *user, *domain;
        double when;
        if (parse_line(line, &user, &domain, &when) != 0)
            continue;
        json_t *e = find_entry(list, user, domain);
        if (!e && json_array_size(list) >= USERS_MAX)
            continue; /* bounded answer; a desktop VM has one or a few sessions */
        if (e) {
            if (when < json_real_value(json_object_get(e, "login-time")))
                json_object_set_new(e, "login-time", json_real(when));
            continue;
        }
        e = *domain ? json_pack("{s:s,s:s,s:f}", "user", user, "domain", domain, "login-time", when)
                    : json_pack("{s:s,s:f}", "user", user, "login-time", when);
        if (!e || json_array_append_new(list, e) != 0) {
            json_decref(list);
            free(copy);
            return NULL;
        }
    }
    free(copy);
    return list;
}
