/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Restraint: a pool whose VMs keep failing to be made or to boot (a broken template, a full
 * disk) pauses instead of looping, and says why in `pool show` and the audit log. The
 * failure history is memory only: a restarted broker starts counting again, which costs at
 * most restraint_failures more attempts.
 *
 * A full disk is not the template's fault and needs no admin decision once space is back:
 * such a pause names the folder and how much room it waits for, and restraint_tick lifts
 * it by itself when the VM folder has that room again (a statvfs per tick while paused).
 */
#include "pool_internal.h"

#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

void restraint_clear(struct pool_rt *rt)
{
    rt->nfail = 0;
}

void restraint_observe(struct pool_rt *rt, int paused)
{
    /* Resumed by someone else (the API's PATCH, another tool): start counting afresh. */
    if (rt->was_paused && !paused)
        restraint_clear(rt);
    rt->was_paused = paused;
}

int restraint_is_disk_full(const char *reason)
{
    return reason && (strstr(reason, "No space left on device") ||
                      strstr(reason, "Disk quota exceeded") || strstr(reason, "SQLITE_FULL"));
}

uint64_t restraint_room_needed(uint64_t fs_size)
{
    /* Enough for a few overlays and what their guests write at boot; on a small file
     * system a twentieth of it, so a test's tmpfs can recover too. */
    uint64_t cap = 64ull << 20, part = fs_size / 20;
    return part < cap ? part : cap;
}

/* Free bytes in the VM folder and the room a disk-full pause waits for; -1 if unknown. */
static int vm_folder_room(const struct pool_mgr *m, char *dir, size_t cap, uint64_t *free_b,
                          uint64_t *need)
{
    struct statvfs v;
    snprintf(dir, cap, "%s/vms", m->cfg.state_dir ? m->cfg.state_dir : ".");
    if (statvfs(dir, &v) != 0 && statvfs(m->cfg.state_dir ? m->cfg.state_dir : ".", &v) != 0)
        return -1;
    *free_b = (uint64_t)v.f_bavail * v.f_frsize;
    *need = restraint_room_needed((uint64_t)v.f_blocks * v.f_frsize);
    return 0;
}

void restraint_failed(struct pool_mgr *m, struct db *db, int64_t pool_id, const char *reason)
{
    int64_t now = pm_now(m), since = now - m->cfg.restraint_window_s;
    struct pool_rt *rt = pm_rt(m, pool_id);
    pthread_mutex_lock(&rt->lock);
    int k = 0;
    for (int i = 0; i < rt->nfail; i++)
        if (rt->failures[i] > since)
            rt->failures[k++] = rt->failures[i];
    rt->nfail = k;
    if (rt->nfail < RESTRAINT_MAX)
        rt->failures[rt->nfail++] = now;
    int trip = rt->nfail >= m->cfg.restraint_failures;
    pthread_mutex_unlock(&rt->lock);
    if (!trip)
        return;

    struct db_pool p;
    struct dp_err err = {0};
    if (db_pool_get_by_id(db, pool_id, &p, &err) != DB_OK || p.paused)
        return; /* gone, or paused already (by us, an admin, or a deletion) */
    char why[256];
    char dir[512];
    uint64_t free_b = 0, need = 0;
    if (restraint_is_disk_full(reason) && vm_folder_room(m, dir, sizeof dir, &free_b, &need) == 0) {
        /* The restraint_tick marker is the "disk full:" prefix. */
        snprintf(why, sizeof why,
                 "disk full: no space left on device in %.120s (%llu KiB free); free space "
                 "there: the pool resumes by itself at %llu KiB free",
                 dir, (unsigned long long)(free_b >> 10), (unsigned long long)(need >> 10));
    } else {
        snprintf(why, sizeof why,
                 "%d provisioning failures in %d s, last: %.120s; fix the template, then run: "
                 "deskpool pool resume %s",
                 m->cfg.restraint_failures, m->cfg.restraint_window_s, reason, p.name);
    }
    if (db_pool_set_paused(db, pool_id, 1, why, &err) != DB_OK) {
        log_error("pool %s: cannot pause it after repeated failures: %s", p.name, dp_err_msg(&err));
        return;
    }
    char n[16], w[16];
    snprintf(n, sizeof n, "%d", m->cfg.restraint_failures);
    snprintf(w, sizeof w, "%d", m->cfg.restraint_window_s);
    const char *kv[] = {"failures", n, "window_s", w, "last_error", reason};
    char object[80];
    snprintf(object, sizeof object, "pool:%s", p.name);
    db_audit_add_kv(db, "pool.restraint", object, kv, 3, NULL);
    log_error("pool %s paused: %s", p.name, why);
}

int restraint_tick(struct pool_mgr *m, struct db *db, struct db_pool *p)
{
    if (!p->paused || strncmp(p->paused_reason, "disk full:", 10) != 0)
        return 0;
    char dir[512];
    uint64_t free_b, need;
    if (vm_folder_room(m, dir, sizeof dir, &free_b, &need) != 0 || free_b < need)
        return 0;
    struct dp_err err = {0};
    if (db_pool_set_paused(db, p->id, 0, NULL, &err) != DB_OK) {
        log_error("pool %s: disk has room again but the pause cannot be lifted: %s", p->name,
                  dp_err_msg(&err));
        return 0;
    }
    struct pool_rt *rt = pm_rt(m, p->id);
    pthread_mutex_lock(&rt->lock);
    restraint_clear(rt);
    rt->was_paused = 0;
    pthread_mutex_unlock(&rt->lock);
    char kib[32];
    snprintf(kib, sizeof kib, "%llu", (unsigned long long)(free_b >> 10));
    const char *kv[] = {"folder", dir, "free_kib", kib};
    char object[80];
    snprintf(object, sizeof object, "pool:%s", p->name);
    db_audit_add_kv(db, "pool.restraint_lifted", object, kv, 2, NULL);
    log_info("pool %s resumed: %s has room again (%s KiB free)", p->name, dir, kib);
    p->paused = 0;
    p->paused_reason[0] = '\0';
    return 1;
}

int pool_mgr_pool_resume(struct pool_mgr *m, int64_t pool_id, struct dp_err *err)
{
    struct db *db = pm_db_get(m, err);
    if (!db)
        return DB_EIO;
    struct db_pool p;
    int rc = db_pool_get_by_id(db, pool_id, &p, err);
    if (rc == DB_OK && pool_is_deleting(&p)) {
        dp_err_set(err, "pool \"%s\" is being deleted; it cannot be resumed", p.name);
        rc = DB_ECONFLICT;
    }
    if (rc == DB_OK)
        rc = db_pool_set_paused(db, pool_id, 0, NULL, err);
    pm_db_put(m, db);
    if (rc != DB_OK)
        return rc;
    struct pool_rt *rt = pm_rt(m, pool_id);
    pthread_mutex_lock(&rt->lock);
    restraint_clear(rt);
    rt->was_paused = 0;
    pthread_mutex_unlock(&rt->lock);
    log_info("pool %s resumed", p.name);
    pool_mgr_kick(m);
    return DB_OK;
}
