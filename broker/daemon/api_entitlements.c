/* SPDX-License-Identifier: Apache-2.0 */
/* /entitlements: which user or group may have desktops from which pool. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_entitlements.h"
#include "store/db_groups.h"
#include "store/db_pools.h"
#include "store/db_users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *ent_json(const struct db_entitlement *e)
{
    json_t *j = json_pack("{s:I,s:s,s:I}", "id", (json_int_t)e->id, "pool", e->pool, "created",
                          (json_int_t)e->created);
    if (e->user_id)
        json_object_set_new(j, "user", json_string(e->user));
    else
        json_object_set_new(j, "group", json_string(e->group));
    return j;
}

void api_entitlements_list(struct api_req *r)
{
    struct dp_err err = {0};
    const char *pool = api_query(r, "pool");
    struct db_pool p = {0};
    int rc = pool ? db_pool_get(r->d->db, pool, &p, &err) : DB_OK;
    struct db_entitlement *e = NULL;
    size_t n = 0;
    if (rc == DB_OK)
        rc = db_entitlement_list(r->d->db, p.id, &e, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, ent_json(&e[i]));
    free(e);
    api_reply_items(r, items);
}

void api_entitlements_create(struct api_req *r)
{
    char pool[64], user[64], group[64];
    struct api_field f[] = {
        API_STR("pool", 1, pool),
        API_STR("user", 0, user),
        API_STR("group", 0, group),
    };
    if (api_body_fields(r, f, 3) != 0)
        return;
    if (f[1].present == f[2].present) {
        api_reply_error(r, 400, "give exactly one of \"user\" and \"group\" to entitle");
        return;
    }
    struct dp_err err = {0};
    struct db_pool p;
    struct db_user u = {0};
    struct db_group g = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_pool_get(r->d->db, pool, &p, &err);
    if (rc == DB_OK)
        rc = f[1].present ? db_user_get(r->d->db, user, &u, &err)
                          : db_group_get(r->d->db, group, &g, &err);
    if (rc == DB_OK)
        rc = f[1].present ? db_entitle_user(r->d->db, p.id, u.id, &err)
                          : db_entitle_group(r->d->db, p.id, g.id, &err);
    struct db_entitlement *e = NULL;
    size_t n = 0;
    if (rc == DB_OK)
        rc = db_entitlement_list(r->d->db, p.id, &e, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *j = NULL;
    for (size_t i = 0; i < n && !j; i++)
        if ((u.id && e[i].user_id == u.id) || (g.id && e[i].group_id == g.id))
            j = ent_json(&e[i]);
    free(e);
    api_reply_json(r, 201, j);
}

void api_entitlements_delete(struct api_req *r)
{
    char *end;
    errno = 0;
    long long id = strtoll(r->caps[0], &end, 10);
    if (errno || *end || id <= 0) {
        api_reply_error(r, 404,
                        "no entitlement \"%s\"; ids are numbers: list them with GET "
                        "/api/v1/entitlements",
                        r->caps[0]);
        return;
    }
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_entitlement_delete(r->d->db, id, &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 204, NULL);
}
