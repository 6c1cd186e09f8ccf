/* SPDX-License-Identifier: Apache-2.0 */
/* Self-service lookups: a user's desktop, the pool a connect means, who may act on a VM. */
#include "selfservice.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_entitlements.h"
#include "store/db_pools.h"
#include "store/db_users.h"
#include "store/db_vms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ss_user_vm(struct db *db, const struct db_pool *p, int64_t user_id, struct db_vm *vm,
               struct dp_err *err)
{
    if (p->type == DB_POOL_PERSONAL)
        return db_vm_personal(db, p->id, user_id, vm, err);
    struct db_vm *vms = NULL;
    size_t n = 0;
    int rc = db_vm_list(db, p->id, -1, &vms, &n, err);
    if (rc != DB_OK)
        return rc;
    rc = DB_ENOTFOUND;
    for (size_t i = 0; i < n && rc == DB_ENOTFOUND; i++) {
        if (vms[i].assigned_user_id == user_id) {
            *vm = vms[i];
            rc = DB_OK;
        }
    }
    free(vms);
    return rc;
}

int ss_choose_pool(struct db *db, const struct db_user *u, const char *pool, struct db_pool *out,
                   char *msg, size_t cap)
{
    struct dp_err err = {0};
    if ((pool && *pool) || u->default_pool_id) {
        int rc = pool && *pool ? db_pool_get(db, pool, out, &err)
                               : db_pool_get_by_id(db, u->default_pool_id, out, &err);
        if (rc == DB_ENOTFOUND) {
            snprintf(msg, cap, "no pool \"%s\"; GET /api/v1/me lists yours", pool ? pool : "");
            return 404;
        }
        if (rc == DB_OK && (rc = db_user_entitled(db, u->id, out->id, &err)) == 0) {
            snprintf(msg, cap, "you (%s) may not use pool \"%s\"; ask an admin to entitle you",
                     u->name, out->name);
            return 403;
        }
        if (rc < 0) {
            snprintf(msg, cap, "%s", dp_err_msg(&err));
            return 500;
        }
        return DB_OK;
    }
    struct db_pool *pools = NULL;
    size_t n = 0;
    if (db_user_entitled_pools(db, u->id, &pools, &n, &err) != DB_OK) {
        snprintf(msg, cap, "%s", dp_err_msg(&err));
        return 500;
    }
    int st = DB_OK;
    if (n == 1) {
        *out = pools[0];
    } else if (n == 0) {
        snprintf(msg, cap, "you (%s) may not use any pool yet; ask an admin to entitle you",
                 u->name);
        st = 403;
    } else {
        size_t used = (size_t)snprintf(msg, cap, "you may use several pools (");
        for (size_t i = 0; i < n && used < cap; i++)
            used += (size_t)snprintf(msg + used, cap - used, "%s%s", i ? ", " : "", pools[i].name);
        if (used < cap)
            snprintf(msg + used, cap - used, ") and have no default; name one in \"pool\"");
        st = 400;
    }
    free(pools);
    return st;
}

/* A VM by the id GET /me/desktops gives, or by name. */
static int find_vm(struct db *db, const char *ref, struct db_vm *vm)
{
    char *end;
    errno = 0;
    long long id = strtoll(ref, &end, 10);
    if (!errno && *ref && !*end && id > 0)
        return db_vm_get_by_id(db, id, vm, NULL);
    return db_vm_get(db, ref, vm, NULL);
}

int ss_desktop_for_caller(struct api_req *r, struct db_vm *vm, struct db_pool *p)
{
    struct db *db = r->d->db;
    struct dp_err err = {0};
    int rc = find_vm(db, r->caps[0], vm);
    int admin = r->caller == CALLER_ADMIN;
    /* A user learns nothing about desktops that are not theirs: unknown and someone
     * else's look the same (403). */
    if (rc != DB_OK && admin) {
        api_reply_error(r, 404, "no desktop \"%s\"; see deskpool vm list", r->caps[0]);
        return -1;
    }
    if (rc != DB_OK || (!admin && vm->assigned_user_id != r->user_id)) {
        api_reply_error(r, 403,
                        "desktop \"%s\" is not yours; GET /api/v1/me/desktops lists your "
                        "desktops and their ids",
                        r->caps[0]);
        return -1;
    }
    if ((rc = db_pool_get_by_id(db, vm->pool_id, p, &err)) != DB_OK) {
        api_reply_db(r, rc, &err);
        return -1;
    }
    if (!admin && !p->allow_user_reset) {
        api_reply_error(r, 403,
                        "pool \"%s\" does not let users reset or restart their desktops; ask "
                        "an admin (deskpool pool set %s --allow-user-reset yes)",
                        p->name, p->name);
        return -1;
    }
    return 0;
}
