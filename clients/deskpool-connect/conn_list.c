/* SPDX-License-Identifier: Apache-2.0 */
/* --list: the user's desktops, one per entitled pool (GET /me/desktops). */
#include "conn_ctx.h"

#include "cli_table.h"

#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int conn_list(struct conn_ctx *c)
{
    json_t *ans = NULL;
    int rc = conn_call(c, "GET", "/me/desktops", NULL, &ans, NULL);
    if (rc != CONN_OK)
        return rc;
    json_t *items = json_object_get(ans, "items");
    if (!json_is_array(items)) {
        json_decref(ans);
        return conn_fail(c, CONN_FAILED, "the broker's desktop list has no items");
    }
    if (c->o->json) {
        conn_print_json(c, ans);
        json_decref(ans);
        return CONN_OK;
    }
    if (json_array_size(items) == 0) {
        fprintf(c->out, "%s is not entitled to any pool; ask your admin for one\n", c->user);
        json_decref(ans);
        return CONN_OK;
    }
    static const char *const heads[] = {"POOL",    "TYPE",  "DESKTOP", "STATE",
                                        "SESSION", "RESET", ">ID"};
    struct table t;
    if (table_init(&t, heads, 7) != 0) {
        json_decref(ans);
        return conn_fail(c, CONN_FAILED, "out of memory");
    }
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d)
    {
        char id[32] = "-";
        json_t *jid = json_object_get(d, "id");
        if (json_is_integer(jid))
            snprintf(id, sizeof id, "%lld", (long long)json_integer_value(jid));
        else if (json_is_string(jid))
            snprintf(id, sizeof id, "%s", json_string_value(jid));
        json_t *s = json_object_get(d, "session");
        const char *cells[7] = {str(d, "pool"),
                                str(d, "pool_type"),
                                str(d, "vm") ? str(d, "vm") : "(none yet)",
                                str(d, "state") ? str(d, "state") : "-",
                                json_is_object(s) ? str(s, "state") : NULL,
                                json_is_true(json_object_get(d, "allow_reset")) ? "yes" : "no",
                                id};
        table_add(&t, cells);
    }
    table_print(&t, c->out);
    table_free(&t);
    json_decref(ans);
    return CONN_OK;
}
