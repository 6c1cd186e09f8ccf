/* SPDX-License-Identifier: Apache-2.0 */
/* --reset and --restart: the user's own desktop, re-cloned or restarted by the broker. */
#include "conn_ctx.h"

#include "desktop_pick.h"

#include <string.h>

int conn_selfservice(struct conn_ctx *c)
{
    int reset = c->o->action == ACT_RESET;
    const char *verb = reset ? "reset" : "restart";
    json_t *ans = NULL, *body = NULL;
    int rc = conn_call(c, "GET", "/me/desktops", NULL, &ans, NULL);
    if (rc != CONN_OK)
        return rc;
    char msg[600], path[128], idtext[40];
    json_t *d = desktop_pick(json_object_get(ans, "items"), c->o->target, msg, sizeof msg);
    if (!d) {
        rc = conn_fail(c, c->o->target ? CONN_FORBIDDEN : CONN_USAGE, "%s", msg);
        goto out;
    }
    const char *pool = json_string_value(json_object_get(d, "pool"));
    const char *vm = json_string_value(json_object_get(d, "vm"));
    const char *type = json_string_value(json_object_get(d, "pool_type"));
    json_t *id = json_object_get(d, "id");
    if (json_is_integer(id))
        snprintf(idtext, sizeof idtext, "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id) && strlen(json_string_value(id)) < sizeof idtext &&
             strspn(json_string_value(id), "0123456789") == strlen(json_string_value(id)))
        snprintf(idtext, sizeof idtext, "%s", json_string_value(id));
    else {
        rc = conn_fail(c, CONN_FAILED,
                       "you have no desktop in pool \"%s\" yet, so there is nothing to %s; "
                       "connect to get one",
                       pool ? pool : "?", verb);
        goto out;
    }
    body = json_object();
    if (reset && type && strcmp(type, "personal") == 0) {
        /* A personal desktop keeps the user's files; a reset throws them away. */
        if (!c->o->yes) {
            char q[400];
            snprintf(q, sizeof q,
                     "Reset your personal desktop %s in pool %s? Everything you stored on it "
                     "will be deleted. Type yes to go on: ",
                     vm ? vm : "", pool ? pool : "");
            int a = conn_ask(q, "yes");
            if (a < 0) {
                rc = conn_fail(c, CONN_USAGE,
                               "resetting personal desktop %s deletes its files; confirm with "
                               "--yes (no terminal to ask on)",
                               vm ? vm : "");
                goto out;
            }
            if (a == 0) {
                rc = conn_fail(c, CONN_CANCELLED, "nothing was reset");
                goto out;
            }
        }
        json_object_set_new(body, "confirm", json_true());
    }
    snprintf(path, sizeof path, "/desktops/%s/%s", idtext, verb);
    json_t *res = NULL;
    rc = conn_call(c, "POST", path, body, &res, NULL);
    if (rc == CONN_OK) {
        if (c->o->json) {
            json_t *j = json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "result", "ok", "action", verb,
                                  "pool", pool, "vm", vm, "answer", res ? res : json_object());
            res = NULL;
            conn_print_json(c, j);
            json_decref(j);
        } else
            fprintf(c->out,
                    reset ? "desktop %s (pool %s): reset started; it comes back as a fresh copy "
                            "of the template (watch: deskpool-connect --list)\n"
                          : "desktop %s (pool %s): restart started (watch: deskpool-connect "
                            "--list)\n",
                    vm ? vm : idtext, pool ? pool : "?");
    }
    json_decref(res);
out:
    json_decref(body);
    json_decref(ans);
    return rc;
}
