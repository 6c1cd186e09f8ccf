/* SPDX-License-Identifier: Apache-2.0 */
/* Which of the user's desktops a command line names (pure; see desktop_pick.h). */
#include "desktop_pick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int id_matches(json_t *id, const char *s)
{
    char buf[32];
    if (json_is_integer(id)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(id));
        return strcmp(buf, s) == 0;
    }
    return json_is_string(id) && strcmp(json_string_value(id), s) == 0;
}

json_t *desktop_pick(json_t *items, const char *target, char *msg, size_t cap)
{
    size_t n = json_array_size(items), i;
    json_t *d;
    if (n == 0) {
        snprintf(msg, cap, "you are not entitled to any pool; ask your admin for one");
        return NULL;
    }
    if (!target) {
        if (n == 1)
            return json_array_get(items, 0);
        size_t o = (size_t)snprintf(msg, cap, "you have desktops in %zu pools; name one:", n);
        json_array_foreach(items, i, d)
        {
            const char *p = json_string_value(json_object_get(d, "pool"));
            if (o < cap)
                o += (size_t)snprintf(msg + o, cap - o, "%s %s", i ? "," : "", p ? p : "?");
        }
        return NULL;
    }
    json_array_foreach(items, i, d)
    {
        const char *p = json_string_value(json_object_get(d, "pool"));
        if (p && strcmp(p, target) == 0)
            return d;
    }
    json_array_foreach(items, i, d)
    {
        if (id_matches(json_object_get(d, "id"), target))
            return d;
    }
    snprintf(msg, cap, "no desktop of yours is in pool \"%s\" or has that id; see --list", target);
    return NULL;
}
