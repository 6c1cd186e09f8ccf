/* SPDX-License-Identifier: Apache-2.0 */
/* /users: accounts, their passwords (hashed on a worker: scrypt is slow on purpose),
 * enable/disable, unlock, default pool. */
#include "api.h"
#include "api_job.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_entitlements.h"
#include "store/db_groups.h"
#include "store/db_pools.h"
#include "store/db_users.h"
#include "store/db_users_admin.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *user_json(struct db *db, const struct db_user *u, struct dp_err *err, int *rc)
{
    struct db_group *g = NULL;
    struct db_pool *p = NULL;
    size_t ng = 0, np = 0;
    if ((*rc = db_user_groups(db, u->id, &g, &ng, err)) != DB_OK)
        return NULL;
    if ((*rc = db_user_entitled_pools(db, u->id, &p, &np, err)) != DB_OK) {
        free(g);
        return NULL;
    }
    json_t *groups = json_array(), *pools = json_array();
    for (size_t i = 0; i < ng; i++)
        json_array_append_new(groups, json_string(g[i].name));
    for (size_t i = 0; i < np; i++)
        json_array_append_new(pools, json_string(p[i].name));
    free(g);
    free(p);
    return json_pack("{s:s,s:s,s:b,s:I,s:i,s:s*,s:b,s:I,s:o,s:o}", "name", u->name, "display_name",
                     u->display_name, "enabled", u->enabled, "locked_until",
                     (json_int_t)u->locked_until, "failed_logins", u->failed_logins, "default_pool",
                     u->default_pool[0] ? u->default_pool : NULL, "has_password", u->has_password,
                     "created", (json_int_t)u->created, "groups", groups, "pools", pools);
}

/* Answers with user `name` as it is now in db. */
static json_t *user_json_by_name(struct db *db, const char *name, struct dp_err *err, int *rc)
{
    struct db_user u;
    if ((*rc = db_user_get(db, name, &u, err)) != DB_OK)
        return NULL;
    return user_json(db, &u, err, rc);
}

void api_users_list(struct api_req *r)
{
    struct db_user *u = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int rc = db_user_list(r->d->db, &u, &n, &err);
    json_t *items = json_array();
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        json_t *j = user_json(r->d->db, &u[i], &err, &rc);
        if (j)
            json_array_append_new(items, j);
    }
    free(u);
    if (rc != DB_OK) {
        json_decref(items);
        api_reply_db(r, rc, &err);
        return;
    }
    api_reply_items(r, items);
}

void api_users_get(struct api_req *r)
{
    struct dp_err err = {0};
    int rc;
    json_t *j = user_json_by_name(r->d->db, r->caps[0], &err, &rc);
    if (!j)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 200, j);
}

struct user_job {
    struct api_job aj;
    char name[64], password[256], display_name[128], default_pool[64];
    int has_default_pool;
};

static void user_job_free_secret(struct user_job *uj)
{
    OPENSSL_cleanse(uj->password, sizeof uj->password);
}

/* All or nothing: the user, the password hashes and the default pool in one transaction. */
static void create_work(struct api_job *aj, struct db *db)
{
    struct user_job *uj = (struct user_job *)aj;
    struct dp_err err = {0};
    struct db_user u;
    struct db_pool p = {0};
    int rc = db_begin(db, &err);
    if (rc == DB_OK && uj->has_default_pool)
        rc = db_pool_get(db, uj->default_pool, &p, &err);
    if (rc == DB_OK)
        rc = db_user_create(db, uj->name, uj->display_name, &u, &err);
    if (rc == DB_OK)
        rc = db_user_set_password(db, u.id, uj->password, &aj->r->d->key, &err);
    if (rc == DB_OK && p.id)
        rc = db_user_set_default_pool(db, u.id, p.id, &err);
    if (rc == DB_OK)
        rc = db_commit(db, &err);
    else
        db_rollback(db);
    user_job_free_secret(uj);
    if (rc == DB_OK && (aj->reply = user_json_by_name(db, uj->name, &err, &rc)))
        aj->status = 201;
    else
        api_job_fail_db(aj, rc, &err);
}

void api_users_create(struct api_req *r)
{
    struct user_job *uj = calloc(1, sizeof *uj);
    if (!uj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {
        API_STR("name", 1, uj->name),
        API_STR("password", 1, uj->password),
        API_STR("display_name", 0, uj->display_name),
        API_STR("default_pool", 0, uj->default_pool),
    };
    if (api_body_fields(r, f, 4) != 0) {
        user_job_free_secret(uj);
        free(uj);
        return;
    }
    uj->has_default_pool = f[3].present && uj->default_pool[0];
    uj->aj.r = r;
    uj->aj.work = create_work;
    api_job_submit(&uj->aj);
}

static void password_work(struct api_job *aj, struct db *db)
{
    struct user_job *uj = (struct user_job *)aj;
    struct dp_err err = {0};
    struct db_user u;
    int rc = db_user_get(db, uj->name, &u, &err);
    if (rc == DB_OK)
        rc = db_user_set_password(db, u.id, uj->password, &aj->r->d->key, &err);
    user_job_free_secret(uj);
    if (rc != DB_OK)
        api_job_fail_db(aj, rc, &err);
    else
        aj->status = 204;
}

void api_users_password(struct api_req *r)
{
    struct user_job *uj = calloc(1, sizeof *uj);
    if (!uj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {API_STR("password", 1, uj->password)};
    if (api_body_fields(r, f, 1) != 0) {
        user_job_free_secret(uj);
        free(uj);
        return;
    }
    snprintf(uj->name, sizeof uj->name, "%s", r->caps[0]);
    uj->aj.r = r;
    uj->aj.work = password_work;
    api_job_submit(&uj->aj);
}

void api_users_patch(struct api_req *r)
{
    struct db *db = r->d->db;
    int enabled = 0, unlock = 0;
    char display_name[128], default_pool[64];
    struct api_field f[] = {
        API_BOOL("enabled", 0, &enabled),
        API_STR("display_name", 0, display_name),
        API_STR("default_pool", 0, default_pool),
        API_BOOL("unlock", 0, &unlock),
    };
    if (api_body_fields(r, f, 4) != 0)
        return;
    struct dp_err err = {0};
    struct db_user u;
    struct db_pool p = {0};
    db_set_actor(db, r->actor);
    int rc = db_begin(db, &err);
    if (rc == DB_OK)
        rc = db_user_get(db, r->caps[0], &u, &err);
    if (rc == DB_OK && f[2].present && default_pool[0])
        rc = db_pool_get(db, default_pool, &p, &err);
    if (rc == DB_OK && f[0].present)
        rc = db_user_set_enabled(db, u.id, enabled, &err);
    if (rc == DB_OK && f[1].present)
        rc = db_user_set_display_name(db, u.id, display_name, &err);
    if (rc == DB_OK && f[2].present)
        rc = db_user_set_default_pool(db, u.id, p.id, &err);
    if (rc == DB_OK && f[3].present && unlock)
        rc = db_user_unlock(db, u.id, &err);
    if (rc == DB_OK)
        rc = db_commit(db, &err);
    else
        db_rollback(db);
    json_t *j = rc == DB_OK ? user_json_by_name(db, u.name, &err, &rc) : NULL;
    if (!j)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 200, j);
}

void api_users_delete(struct api_req *r)
{
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_user_delete(r->d->db, r->caps[0], &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 204, NULL);
}
