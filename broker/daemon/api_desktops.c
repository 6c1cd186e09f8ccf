/* SPDX-License-Identifier: Apache-2.0 */
/* POST /desktops/request: which pool (checked here, on the loop), then the pool manager's
 * blocking assignment on a worker. */
#include "api.h"
#include "api_job.h"
#include "daemon.h"
#include "err.h"
#include "pool_mgr.h"
#include "store/db.h"
#include "store/db_audit.h"
#include "store/db_entitlements.h"
#include "store/db_pools.h"
#include "store/db_users.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct desktop_job {
    struct api_job aj;
    int64_t user_id, pool_id;
    char user[64], pool[64], client_addr[64];
};

static void request_work(struct api_job *aj, struct db *db)
{
    struct desktop_job *dj = (struct desktop_job *)aj;
    struct pool_desktop out;
    struct dp_err err = {0};
    memset(&out, 0, sizeof out);
    int rc = pool_mgr_request_desktop(aj->r->d->pm, dj->user_id, dj->pool_id,
                                      dj->client_addr[0] ? dj->client_addr : NULL, &out, &err);
    if (rc == DB_ECONFLICT || rc == DB_EDENIED) {
        /* A login that got no desktop (no capacity, paused, disabled) is for the admin to see. */
        char obj[96];
        snprintf(obj, sizeof obj, "user:%s", dj->user);
        const char *kv[] = {"pool",          dj->pool, "client_addr",
                            dj->client_addr, "reason", err.set ? err.msg : "no desktop free"};
        db_set_actor(db, aj->r->actor);
        db_audit_add_kv(db, "desktop.refused", obj, kv, 3, NULL);
    }
    if (rc == DB_ECONFLICT) {
        api_job_fail(aj, 503, "%s", err.set ? err.msg : "no desktop free in this pool");
    } else if (rc != DB_OK) {
        api_job_fail_db(aj, rc, &err);
    } else if (out.status == POOL_DESKTOP_READY) {
        aj->status = 200;
        aj->reply = json_pack("{s:s,s:I,s:s,s:s,s:i,s:s,s:s}", "status", "ready", "session_id",
                              (json_int_t)out.session_id, "vm", out.vm, "host", out.host, "port",
                              out.port, "username", out.username, "password", out.password);
    } else {
        aj->status = 202;
        aj->reply = json_pack("{s:s,s:s,s:i}", "status", "starting", "vm", out.vm, "retry_after_s",
                              out.retry_after_s > 0 ? out.retry_after_s : 1);
    }
    /* The one-time password goes to the caller only; the JSON holds its copy now. */
    OPENSSL_cleanse(out.password, sizeof out.password);
}

/* Names of the pools the user is entitled to, "a, b" (for the "which pool?" answer). */
static void pool_names(const struct db_pool *p, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", p[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The pool: the one asked for, else the user's default, else the only one they may use.
 * Answers the request (and returns -1) when there is none to choose or it is not theirs. */
static int choose_pool(struct api_req *r, struct desktop_job *dj, const struct db_user *u,
                       int pool_given)
{
    struct db *db = r->d->db;
    struct dp_err err = {0};
    struct db_pool p;
    if (pool_given || u->default_pool_id) {
        int rc = pool_given ? db_pool_get(db, dj->pool, &p, &err)
                            : db_pool_get_by_id(db, u->default_pool_id, &p, &err);
        if (rc == DB_OK && (rc = db_user_entitled(db, u->id, p.id, &err)) == 0) {
            api_reply_error(r, 403,
                            "user \"%s\" is not entitled to pool \"%s\"; an admin can grant it: "
                            "deskpool entitle %s --user %s",
                            u->name, p.name, p.name, u->name);
            return -1;
        }
        if (rc < 0) {
            api_reply_db(r, rc, &err);
            return -1;
        }
        dj->pool_id = p.id;
        snprintf(dj->pool, sizeof dj->pool, "%s", p.name);
        return 0;
    }
    struct db_pool *pools = NULL;
    size_t n = 0;
    int rc = db_user_entitled_pools(db, u->id, &pools, &n, &err);
    char names[512];
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else if (n == 0)
        api_reply_error(r, 403,
                        "user \"%s\" is not entitled to any pool; an admin can grant one: "
                        "deskpool entitle POOL --user %s",
                        u->name, u->name);
    else if (n > 1) {
        pool_names(pools, n, names, sizeof names);
        api_reply_error(r, 400,
                        "user \"%s\" may use several pools (%s) and has no default; name one "
                        "in \"pool\"",
                        u->name, names);
    } else {
        dj->pool_id = pools[0].id;
        snprintf(dj->pool, sizeof dj->pool, "%s", pools[0].name);
    }
    free(pools);
    return rc == DB_OK && n == 1 ? 0 : -1;
}

void api_desktops_request(struct api_req *r)
{
    struct desktop_job *dj = calloc(1, sizeof *dj);
    if (!dj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {
        API_STR("user", 1, dj->user),
        API_STR("pool", 0, dj->pool),
        API_STR("client_addr", 0, dj->client_addr),
    };
    if (api_body_fields(r, f, 3) != 0) {
        free(dj);
        return;
    }
    struct db_user u;
    char why[256];
    if (db_user_get(r->d->db, dj->user, &u, NULL) != DB_OK) {
        api_reply_error(r, 403,
                        "user \"%s\" is unknown; an admin adds users with: deskpool user "
                        "add %s",
                        dj->user, dj->user);
        free(dj);
        return;
    }
    if (!db_user_can_login(&u, time(NULL), why, sizeof why)) {
        api_reply_error(r, 403, "%s", why);
        free(dj);
        return;
    }
    if (choose_pool(r, dj, &u, f[1].present && dj->pool[0]) != 0) {
        free(dj);
        return;
    }
    dj->user_id = u.id;
    dj->aj.r = r;
    dj->aj.work = request_work;
    api_job_submit(&dj->aj);
}
