/* SPDX-License-Identifier: Apache-2.0 */
/* The pools table: settings, pause, per-state counts and VM names. */
#include "db_pools.h"
#include "db_internal.h"
#include "db_templates.h"
#include "naming.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_COLS                                                                                  \
    "p.id, p.name, p.type, t.name, p.template_id, coalesce(v.version, 0),"                         \
    " coalesce(p.template_version_id, 0), p.min_vms, p.max_vms, p.spare, p.spare_stopped,"         \
    " p.naming, p.max_provisioning, p.disconnect_timeout_s, p.idle_timeout_s,"                     \
    " p.max_session_s, p.refresh_on_logoff, p.allow_user_reset, p.clone_mode, p.memory_mb,"        \
    " p.vcpus, p.paused, p.paused_reason, p.created"

#define POOL_FROM                                                                                  \
    " FROM pools p JOIN templates t ON t.id = p.template_id"                                       \
    " LEFT JOIN template_versions v ON v.id = p.template_version_id"

const char *db_pool_type_name(enum db_pool_type t)
{
    return t == DB_POOL_PERSONAL ? "personal" : "pooled";
}

int db_pool_type_parse(const char *s, enum db_pool_type *out)
{
    if (s && strcmp(s, "pooled") == 0)
        *out = DB_POOL_POOLED;
    else if (s && strcmp(s, "personal") == 0)
        *out = DB_POOL_PERSONAL;
    else
        return -1;
    return 0;
}

const char *db_clone_mode_name(enum db_clone_mode m)
{
    return m == DB_CLONE_BOOT ? "boot" : "instant";
}

int db_clone_mode_parse(const char *s, enum db_clone_mode *out)
{
    if (s && strcmp(s, "instant") == 0)
        *out = DB_CLONE_INSTANT;
    else if (s && strcmp(s, "boot") == 0)
        *out = DB_CLONE_BOOT;
    else
        return -1;
    return 0;
}

void db_pool_defaults(struct db_pool *p)
{
    memset(p, 0, sizeof *p);
    p->type = DB_POOL_POOLED;
    p->max_provisioning = 1;
    p->disconnect_timeout_s = 3600;
    p->refresh_on_logoff = 1;
    p->clone_mode = DB_CLONE_INSTANT;
}

static void read_pool(sqlite3_stmt *st, struct db_pool *p)
{
    char buf[16];
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, p->name, sizeof p->name);
    db_col_text(st, 2, buf, sizeof buf);
    db_pool_type_parse(buf, &p->type);
    db_col_text(st, 3, p->template_name, sizeof p->template_name);
    p->template_id = sqlite3_column_int64(st, 4);
    p->pinned_version = sqlite3_column_int(st, 5);
    p->template_version_id = sqlite3_column_int64(st, 6);
    p->min_vms = sqlite3_column_int(st, 7);
    p->max_vms = sqlite3_column_int(st, 8);
    p->spare = sqlite3_column_int(st, 9);
    p->spare_stopped = sqlite3_column_int(st, 10);
    db_col_text(st, 11, p->naming, sizeof p->naming);
    p->max_provisioning = sqlite3_column_int(st, 12);
    p->disconnect_timeout_s = sqlite3_column_int(st, 13);
    p->idle_timeout_s = sqlite3_column_int(st, 14);
    p->max_session_s = sqlite3_column_int(st, 15);
    p->refresh_on_logoff = sqlite3_column_int(st, 16);
    p->allow_user_reset = sqlite3_column_int(st, 17);
    db_col_text(st, 18, buf, sizeof buf);
    db_clone_mode_parse(buf, &p->clone_mode);
    p->memory_mb = sqlite3_column_int(st, 19);
    p->vcpus = sqlite3_column_int(st, 20);
    p->paused = sqlite3_column_int(st, 21);
    db_col_text(st, 22, p->paused_reason, sizeof p->paused_reason);
    p->created = sqlite3_column_int64(st, 23);
}

/* read_pool for db_collect, which knows rows only as bytes. */
static void read_pool_row(sqlite3_stmt *st, void *row)
{
    read_pool(st, row);
}

static int get_where(struct db *db, const char *where, const char *name, int64_t id,
                     struct db_pool *out, struct dp_err *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " POOL_COLS POOL_FROM " WHERE %s", where);
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    if (name)
        db_bind_text(st, 1, name);
    else
        sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_pool(st, out);
    } else if (s == SQLITE_DONE) {
        if (name)
            dp_err_set(err, "no pool \"%s\"; list them with: deskpool pool list", name);
        else
            dp_err_set(err, "no pool with id %lld; list them with: deskpool pool list",
                       (long long)id);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a pool");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_pool_get(struct db *db, const char *name, struct db_pool *out, struct dp_err *err)
{
    return get_where(db, "p.name = ?1", name, 0, out, err);
}

int db_pool_get_by_id(struct db *db, int64_t id, struct db_pool *out, struct dp_err *err)
{
    return get_where(db, "p.id = ?1", NULL, id, out, err);
}

int db_pool_list(struct db *db, struct db_pool **out, size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db, "SELECT " POOL_COLS POOL_FROM " ORDER BY p.name", err);
    if (!st)
        return DB_EIO;
    return db_collect(db, st, sizeof **out, read_pool_row, (void **)out, n, "listing pools", err);
}

/* The checks both create and update make; resolves the template and the pinned version. */
static int check_settings(struct db *db, struct db_pool *p, struct dp_err *err)
{
    if (p->naming[0] == '\0')
        snprintf(p->naming, sizeof p->naming, "%.50s-{n:03}", p->name);
    if (naming_check(p->naming, err) != 0)
        return DB_EINVAL;
    if (p->max_vms < 0 || p->min_vms < 0 || p->spare < 0 || p->spare_stopped < 0 ||
        p->min_vms > p->max_vms || p->spare + p->spare_stopped > p->max_vms) {
        dp_err_set(err,
                   "pool \"%s\": sizes must satisfy 0 <= min (%d) <= max (%d) and spare (%d) + "
                   "spare-stopped (%d) <= max",
                   p->name, p->min_vms, p->max_vms, p->spare, p->spare_stopped);
        return DB_EINVAL;
    }
    if (p->max_provisioning < 1) {
        dp_err_set(err, "pool \"%s\": max-provisioning must be at least 1", p->name);
        return DB_EINVAL;
    }
    if (p->disconnect_timeout_s < 0 || p->idle_timeout_s < 0 || p->max_session_s < 0 ||
        p->memory_mb < 0 || p->vcpus < 0) {
        dp_err_set(err,
                   "pool \"%s\": timeouts, memory and vCPUs cannot be negative (0 means "
                   "never / the template's)",
                   p->name);
        return DB_EINVAL;
    }
    struct db_template t;
    int rc = db_template_get(db, p->template_name, &t, err);
    if (rc != DB_OK)
        return rc;
    p->template_id = t.id;
    p->template_version_id = 0;
    if (p->pinned_version) {
        struct db_template_version v;
        if ((rc = db_template_version_get(db, t.name, p->pinned_version, &v, err)) != DB_OK)
            return rc;
        p->template_version_id = v.id;
    } else if (t.latest_version == 0) {
        dp_err_set(err,
                   "pool \"%s\": template \"%s\" has no version; run: deskpool template "
                   "import %s IMAGE",
                   p->name, t.name, t.name);
        return DB_ENOTFOUND;
    }
    return DB_OK;
}

static void bind_settings(sqlite3_stmt *st, const struct db_pool *p)
{
    sqlite3_bind_int64(st, 1, p->template_id);
    db_bind_id(st, 2, p->template_version_id);
    sqlite3_bind_int(st, 3, p->min_vms);
    sqlite3_bind_int(st, 4, p->max_vms);
    sqlite3_bind_int(st, 5, p->spare);
    sqlite3_bind_int(st, 6, p->spare_stopped);
    db_bind_text(st, 7, p->naming);
    sqlite3_bind_int(st, 8, p->max_provisioning);
    sqlite3_bind_int(st, 9, p->disconnect_timeout_s);
    sqlite3_bind_int(st, 10, p->idle_timeout_s);
    sqlite3_bind_int(st, 11, p->max_session_s);
    sqlite3_bind_int(st, 12, p->refresh_on_logoff ? 1 : 0);
    sqlite3_bind_int(st, 13, p->allow_user_reset ? 1 : 0);
    db_bind_text(st, 14, db_clone_mode_name(p->clone_mode));
    sqlite3_bind_int(st, 15, p->memory_mb);
    sqlite3_bind_int(st, 16, p->vcpus);
    db_bind_text(st, 17, db_pool_type_name(p->type));
}

int db_pool_create(struct db *db, struct db_pool *p, struct dp_err *err)
{
    int rc = db_check_name("pool", p->name, 0, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    struct db_pool old;
    if (db_pool_get(db, p->name, &old, NULL) == DB_OK) {
        dp_err_set(err,
                   "pool \"%s\" already exists; choose another name or run: deskpool pool "
                   "show %s",
                   p->name, p->name);
        rc = DB_EEXISTS;
    }
    if (rc == DB_OK)
        rc = check_settings(db, p, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK &&
        !(st = db_prep(db,
                       "INSERT INTO pools(template_id, template_version_id, min_vms, max_vms,"
                       " spare, spare_stopped, naming, max_provisioning, disconnect_timeout_s,"
                       " idle_timeout_s, max_session_s, refresh_on_logoff, allow_user_reset,"
                       " clone_mode, memory_mb, vcpus, type, name, created)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        p->created = db_now(db);
        bind_settings(st, p);
        db_bind_text(st, 18, p->name);
        sqlite3_bind_int64(st, 19, p->created);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "creating a pool");
        p->id = sqlite3_last_insert_rowid(db->h);
    }
    sqlite3_finalize(st);
    if (rc == DB_OK) {
        const char *kv[] = {
            "type", db_pool_type_name(p->type), "template", p->template_name, "naming", p->naming};
        rc = db_audit_add_kv_internal(db, "pool.create", "pool", p->name, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_pool_update(struct db *db, struct db_pool *p, struct dp_err *err)
{
    struct db_pool old;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_pool_get_by_id(db, p->id, &old, err)) == DB_OK) {
        snprintf(p->name, sizeof p->name, "%s", old.name);
        rc = check_settings(db, p, err);
    }
    if (rc == DB_OK && old.type != p->type) {
        char vm[64];
        int r =
            db_first_text(db, "SELECT name FROM vms WHERE pool_id = ?1", p->id, vm, sizeof vm, err);
        if (r == 1) {
            dp_err_set(err,
                       "pool \"%s\" has VMs (e.g. \"%s\"); its type cannot change from %s "
                       "to %s. Create a new pool instead",
                       p->name, vm, db_pool_type_name(old.type), db_pool_type_name(p->type));
            rc = DB_ECONFLICT;
        } else if (r < 0) {
            rc = r;
        }
    }
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK &&
        !(st = db_prep(db,
                       "UPDATE pools SET template_id = ?1, template_version_id = ?2,"
                       " min_vms = ?3, max_vms = ?4, spare = ?5, spare_stopped = ?6, naming = ?7,"
                       " max_provisioning = ?8, disconnect_timeout_s = ?9, idle_timeout_s = ?10,"
                       " max_session_s = ?11, refresh_on_logoff = ?12, allow_user_reset = ?13,"
                       " clone_mode = ?14, memory_mb = ?15, vcpus = ?16, type = ?17"
                       " WHERE id = ?18",
                       err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        bind_settings(st, p);
        sqlite3_bind_int64(st, 18, p->id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "updating a pool");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "pool.update", "pool", p->name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_pool_set_paused(struct db *db, int64_t pool_id, int paused, const char *reason,
                       struct dp_err *err)
{
    struct db_pool p;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_pool_get_by_id(db, pool_id, &p, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK &&
        !(st = db_prep(db, "UPDATE pools SET paused = ?, paused_reason = ? WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int(st, 1, paused ? 1 : 0);
        db_bind_text(st, 2, paused && reason ? reason : "");
        sqlite3_bind_int64(st, 3, pool_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "pausing a pool");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK) {
        const char *kv[] = {"reason", paused ? reason : NULL};
        rc = db_audit_add_kv_internal(db, paused ? "pool.pause" : "pool.resume", "pool", p.name, kv,
                                      1, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_pool_delete(struct db *db, const char *name, struct dp_err *err)
{
    struct db_pool p;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_pool_get(db, name, &p, err)) == DB_OK) {
        char vm[64];
        int r = db_first_text(db, "SELECT name FROM vms WHERE pool_id = ?1 ORDER BY name", p.id, vm,
                              sizeof vm, err);
        if (r == 1) {
            dp_err_set(err,
                       "pool \"%s\" still has VMs (e.g. \"%s\"); empty it first: deskpool "
                       "pool resize %s --max 0, then wait for its VMs to be deleted",
                       name, vm, name);
            rc = DB_ECONFLICT;
        } else if (r < 0) {
            rc = r;
        }
    }
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, "DELETE FROM pools WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, p.id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "deleting a pool");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "pool.delete", "pool", name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_pool_counts(struct db *db, int64_t pool_id, struct db_pool_counts *out, struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = db_prep(db,
                               "SELECT state, count(*), sum(assigned_user_id IS NULL) FROM vms"
                               " WHERE pool_id = ? GROUP BY state",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, pool_id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        enum vm_state vs;
        if (vm_state_parse((const char *)sqlite3_column_text(st, 0), &vs) != 0)
            continue; /* the CHECK constraint makes this impossible */
        int count = sqlite3_column_int(st, 1), unowned = sqlite3_column_int(st, 2);
        out->by_state[vs] = count;
        out->total += count;
        if (vs == VM_READY)
            out->spare_ready = unowned;
        if (vs == VM_STOPPED)
            out->spare_stopped = unowned;
        if (vs == VM_PROVISIONING || vs == VM_STARTING || vs == VM_REFRESHING)
            out->busy += count;
    }
    int rc = s == SQLITE_DONE ? DB_OK : db_fail(db, err, "counting a pool's VMs");
    sqlite3_finalize(st);
    return rc;
}

int db_pool_next_vm_name(struct db *db, const struct db_pool *p, char *out, size_t cap,
                         struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, "SELECT 1 FROM vms WHERE name = ?", err);
    if (!st)
        return DB_EIO;
    int rc = DB_ENOTFOUND;
    /* Linear in the pool's size, which max_vms bounds; a pool of thousands is far away. */
    for (long n = 1; n <= 1000000; n++) {
        if (naming_format(p->naming, n, out, cap, err) != 0) {
            rc = DB_EINVAL;
            break;
        }
        sqlite3_reset(st);
        db_bind_text(st, 1, out);
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE) {
            rc = DB_OK;
            break;
        }
        if (s != SQLITE_ROW) {
            rc = db_fail(db, err, "finding a free VM name");
            break;
        }
    }
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "pool \"%s\": naming pattern \"%s\" has no free name left; widen it",
                   p->name, p->naming);
    sqlite3_finalize(st);
    return rc;
}
