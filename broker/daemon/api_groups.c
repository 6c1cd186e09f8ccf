/* SPDX-License-Identifier: Apache-2.0 */
/* /groups: groups of users and their members. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_groups.h"
#include "store/db_users.h"

#include <stdlib.h>

static json_t *group_json(struct db *db, const struct db_group *g, struct dp_err *err, int *rc)
{
    struct db_user *u = NULL;
    size_t n = 0;
    if ((*rc = db_group_members(db, g->id, &u, &n, err)) != DB_OK)
        return NULL;
    json_t *members = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(members, json_string(u[i].name));
    free(u);
    return json_pack("{s:s,s:o,s:I}", "name", g->name, "members", members, "created",
                     (json_int_t)g->created);
}

static void reply_group(struct api_req *r, int status, const char *name)
{
    struct dp_err err = {0};
    struct db_group g;
    int rc = db_group_get(r->d->db, name, &g, &err);
    json_t *j = rc == DB_OK ? group_json(r->d->db, &g, &err, &rc) : NULL;
    if (!j)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, status, j);
}

void api_groups_list(struct api_req *r)
{
    struct db_group *g = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int rc = db_group_list(r->d->db, &g, &n, &err);
    json_t *items = json_array();
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        json_t *j = group_json(r->d->db, &g[i], &err, &rc);
        if (j)
            json_array_append_new(items, j);
    }
    free(g);
    if (rc != DB_OK) {
        json_decref(items);
        api_reply_db(r, rc, &err);
        return;
    }
    api_reply_items(r, items);
}

void api_groups_get(struct api_req *r)
{
    reply_group(r, 200, r->caps[0]);
}

void api_groups_create(struct api_req *r)
{
    char name[64];
    struct api_field f[] = {API_STR("name", 1, name)};
    if (api_body_fields(r, f, 1) != 0)
        return;
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_group_create(r->d->db, name, NULL, &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        reply_group(r, 201, name);
}

void api_groups_delete(struct api_req *r)
{
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_group_delete(r->d->db, r->caps[0], &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 204, NULL);
}

/* Adds (add) or removes user `user` to or from the group in caps[0]. */
static void member(struct api_req *r, const char *user, int add)
{
    struct dp_err err = {0};
    struct db_group g;
    struct db_user u;
    db_set_actor(r->d->db, r->actor);
    int rc = db_group_get(r->d->db, r->caps[0], &g, &err);
    if (rc == DB_OK)
        rc = db_user_get(r->d->db, user, &u, &err);
    if (rc == DB_OK)
        rc = add ? db_group_add_member(r->d->db, g.id, u.id, &err)
                 : db_group_remove_member(r->d->db, g.id, u.id, &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 204, NULL);
}

void api_groups_member_add(struct api_req *r)
{
    char user[64];
    struct api_field f[] = {API_STR("user", 1, user)};
    if (api_body_fields(r, f, 1) == 0)
        member(r, user, 1);
}

void api_groups_member_remove(struct api_req *r)
{
    member(r, r->caps[1], 0);
}
