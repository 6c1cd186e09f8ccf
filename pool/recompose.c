/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recompose: roll a template version out to a pool. The pool is pointed at the version;
 * from then on "stale" (a VM on another version) is all the rest of the pool manager needs:
 * sizing rebuilds idle stale VMs (within max_provisioning), a logoff refreshes a stale VM,
 * and the deadline (timeouts.c) logs off sessions that are still on one.
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>

int pool_mgr_recompose(struct pool_mgr *m, int64_t pool_id, int version, int deadline_s,
                       struct dp_err *err)
{
    if (version < 0 || deadline_s < 0) {
        dp_err_set(err, "recompose: version (%d) and deadline (%d s) must not be negative", version,
                   deadline_s);
        return DB_EINVAL;
    }
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_pool p;
    struct db_template_version tv;
    int rc = db_pool_get_by_id(db, pool_id, &p, err);
    if (rc == DB_OK && pool_is_deleting(&p)) {
        dp_err_set(err, "pool \"%s\" is being deleted", p.name);
        rc = DB_ECONFLICT;
    }
    if (rc == DB_OK)
        rc = db_template_version_get(db, p.template_name, version, &tv, err);
    if (rc == DB_OK && version > 0 && p.pinned_version != version) {
        /* An explicit version pins the pool to it: new VMs get it too. */
        p.pinned_version = version;
        rc = db_pool_update(db, &p, err);
    } else if (rc == DB_OK && version == 0 && p.pinned_version) {
        p.pinned_version = 0; /* follow the latest again */
        rc = db_pool_update(db, &p, err);
    }
    if (rc == DB_OK) {
        char v[16], d[16];
        snprintf(v, sizeof v, "%d", tv.version);
        snprintf(d, sizeof d, "%d", deadline_s);
        const char *kv[] = {"version", v, "deadline_s", d};
        char object[80];
        snprintf(object, sizeof object, "pool:%s", p.name);
        rc = db_audit_add_kv(db, "pool.recompose", object, kv, 2, err);
    }
    pm_db_put(m, db);
    if (rc != DB_OK)
        return rc;
    struct pool_rt *rt = pm_rt(m, pool_id);
    pthread_mutex_lock(&rt->lock);
    rt->recompose_deadline = deadline_s > 0 ? pm_now(m) + deadline_s : 0;
    pthread_mutex_unlock(&rt->lock);
    log_info("pool %s: recompose to %s version %d%s", p.name, tv.template_name, tv.version,
             deadline_s > 0 ? " with a forced-logoff deadline" : "");
    pool_mgr_kick(m);
    return DB_OK;
}
