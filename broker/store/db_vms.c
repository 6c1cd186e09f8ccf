/* SPDX-License-Identifier: Apache-2.0 */
/* The vms table: rows, compare-and-set state changes and the atomic claim. */
#include "db_vms.h"
#include "db_internal.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VM_COLS                                                                                    \
    "m.id, m.name, m.pool_id, p.name, m.template_version_id, v.version, m.state,"                  \
    " coalesce(m.assigned_user_id, 0), coalesce(u.name, ''), m.rdp_port, m.host,"                  \
    " m.last_error, m.state_changed, m.created"

#define VM_FROM                                                                                    \
    " FROM vms m JOIN pools p ON p.id = m.pool_id"                                                 \
    " JOIN template_versions v ON v.id = m.template_version_id"                                    \
    " LEFT JOIN users u ON u.id = m.assigned_user_id"

static void read_vm(sqlite3_stmt *st, struct db_vm *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, m->name, sizeof m->name);
    m->pool_id = sqlite3_column_int64(st, 2);
    db_col_text(st, 3, m->pool_name, sizeof m->pool_name);
    m->template_version_id = sqlite3_column_int64(st, 4);
    m->template_version = sqlite3_column_int(st, 5);
    m->state = VM_ERROR; /* the CHECK constraint keeps unknown names out */
    vm_state_parse((const char *)sqlite3_column_text(st, 6), &m->state);
    m->assigned_user_id = sqlite3_column_int64(st, 7);
    db_col_text(st, 8, m->assigned_user, sizeof m->assigned_user);
    m->rdp_port = sqlite3_column_int(st, 9);
    db_col_text(st, 10, m->host, sizeof m->host);
    db_col_text(st, 11, m->last_error, sizeof m->last_error);
    m->state_changed = sqlite3_column_int64(st, 12);
    m->created = sqlite3_column_int64(st, 13);
}

/* read_vm for db_collect, which knows rows only as bytes. */
static void read_vm_row(sqlite3_stmt *st, void *row)
{
    read_vm(st, row);
}

/* Runs a one-row VM query with ?1 and ?2 bound to a and b; not found is DB_ENOTFOUND with
 * err untouched, so callers say what they were looking for. */
static int get_one(struct db *db, const char *where, int64_t a, int64_t b, const char *name,
                   struct db_vm *out, struct dp_err *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " VM_COLS VM_FROM " WHERE %s", where);
    sqlite3_stmt *st = db_prep(db, sql, err);
    if (!st)
        return DB_EIO;
    if (name)
        db_bind_text(st, 1, name);
    else
        sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW)
        read_vm(st, out);
    else if (s == SQLITE_DONE)
        rc = DB_ENOTFOUND;
    else
        rc = db_fail(db, err, "reading a VM");
    sqlite3_finalize(st);
    return rc;
}

int db_vm_get(struct db *db, const char *name, struct db_vm *out, struct dp_err *err)
{
    int rc = get_one(db, "m.name = ?1", 0, 0, name, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "no VM \"%s\"; list them with: deskpool vm list", name);
    return rc;
}

int db_vm_get_by_id(struct db *db, int64_t id, struct db_vm *out, struct dp_err *err)
{
    int rc = get_one(db, "m.id = ?1", id, 0, NULL, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "no VM with id %lld (deleted?); list them with: deskpool vm list",
                   (long long)id);
    return rc;
}

int db_vm_personal(struct db *db, int64_t pool_id, int64_t user_id, struct db_vm *out,
                   struct dp_err *err)
{
    int rc = get_one(db, "m.pool_id = ?1 AND m.assigned_user_id = ?2 ORDER BY m.id LIMIT 1",
                     pool_id, user_id, NULL, out, err);
    if (rc == DB_ENOTFOUND)
        dp_err_set(err, "the user has no VM in this pool yet");
    return rc;
}

int db_vm_list(struct db *db, int64_t pool_id, int state, struct db_vm **out, size_t *n,
               struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db,
                               "SELECT " VM_COLS VM_FROM " WHERE (?1 = 0 OR m.pool_id = ?1)"
                               " AND (?2 IS NULL OR m.state = ?2) ORDER BY m.name",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, pool_id);
    db_bind_text(st, 2, state >= 0 ? vm_state_name((enum vm_state)state) : NULL);
    return db_collect(db, st, sizeof **out, read_vm_row, (void **)out, n, "listing VMs", err);
}

int db_vm_create(struct db *db, struct db_vm *vm, struct dp_err *err)
{
    int rc = db_check_name("VM", vm->name, 0, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    struct db_vm old;
    if (get_one(db, "m.name = ?1", 0, 0, vm->name, &old, NULL) == DB_OK) {
        dp_err_set(err, "VM \"%s\" already exists (pool \"%s\"); pick the next free name", vm->name,
                   old.pool_name);
        db_rollback(db);
        return DB_EEXISTS;
    }
    sqlite3_stmt *st = db_prep(db,
                               "INSERT INTO vms(name, pool_id, template_version_id, state,"
                               " rdp_port, host, state_changed, created)"
                               " VALUES (?, ?, ?, 'provisioning', ?, ?, ?, ?)",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    int64_t now = db_now(db);
    db_bind_text(st, 1, vm->name);
    sqlite3_bind_int64(st, 2, vm->pool_id);
    sqlite3_bind_int64(st, 3, vm->template_version_id);
    sqlite3_bind_int(st, 4, vm->rdp_port);
    db_bind_text(st, 5, vm->host[0] ? vm->host : "local");
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err, "creating a VM");
        if (rc == DB_ECONFLICT)
            dp_err_set(err, "VM \"%s\": its pool or template version does not exist", vm->name);
    }
    int64_t id = sqlite3_last_insert_rowid(db->h);
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_vm_get_by_id(db, id, vm, err);
    if (rc == DB_OK) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", vm->template_version);
        const char *kv[] = {"pool", vm->pool_name, "template_version",
                            ver,    "state",       "provisioning"};
        rc = db_audit_add_kv_internal(db, "vm.create", "vm", vm->name, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* Says why a compare-and-set found the VM elsewhere. */
static int lost(struct db *db, int64_t vm_id, enum vm_state from, enum vm_state to,
                struct dp_err *err)
{
    struct db_vm now;
    int rc = db_vm_get_by_id(db, vm_id, &now, err);
    if (rc != DB_OK)
        return rc;
    dp_err_set(err,
               "VM \"%s\" is %s, not %s: something else changed it; nothing was done "
               "(wanted %s), re-read it and decide again",
               now.name, vm_state_name(now.state), vm_state_name(from), vm_state_name(to));
    return DB_ECONFLICT;
}

int db_vm_set_state(struct db *db, int64_t vm_id, enum vm_state from, enum vm_state to,
                    const char *reason, struct dp_err *err)
{
    if (!vm_transition_allowed(from, to) || to == VM_ASSIGNED) {
        char next[256];
        struct db_vm m;
        const char *name = db_vm_get_by_id(db, vm_id, &m, NULL) == DB_OK ? m.name : "?";
        if (to == VM_ASSIGNED)
            dp_err_set(err, "VM \"%s\": only a claim for a user assigns a VM (db_vm_claim)", name);
        else
            dp_err_set(err, "VM \"%s\" cannot go from %s to %s; from %s it can go to %s", name,
                       vm_state_name(from), vm_state_name(to), vm_state_name(from),
                       vm_state_next_list(from, next, sizeof next));
        return DB_EINVAL;
    }
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    /* The compare-and-set. A pooled VM forgets its user once it no longer holds one. */
    sqlite3_stmt *st = db_prep(
        db,
        "UPDATE vms SET state = ?1, state_changed = ?2,"
        " last_error = CASE WHEN ?1 = 'error' THEN coalesce(?3, 'unknown') ELSE last_error END,"
        " assigned_user_id = CASE WHEN ?5 OR (SELECT type FROM pools WHERE id = vms.pool_id)"
        "  = 'personal' THEN assigned_user_id ELSE NULL END"
        " WHERE id = ?4 AND state = ?6",
        err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    db_bind_text(st, 1, vm_state_name(to));
    sqlite3_bind_int64(st, 2, db_now(db));
    db_bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, vm_id);
    sqlite3_bind_int(st, 5, vm_state_holds_user(to));
    db_bind_text(st, 6, vm_state_name(from));
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, err, "changing a VM's state");
    else if (sqlite3_changes(db->h) != 1)
        rc = lost(db, vm_id, from, to, err);
    sqlite3_finalize(st);
    struct db_vm m;
    if (rc == DB_OK)
        rc = db_vm_get_by_id(db, vm_id, &m, err);
    if (rc == DB_OK) {
        const char *kv[] = {"from", vm_state_name(from), "to", vm_state_name(to), "reason", reason};
        rc = db_audit_add_kv_internal(db, "vm.state", "vm", m.name, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_vm_claim(struct db *db, int64_t pool_id, int64_t user_id, struct db_vm *out,
                struct dp_err *err)
{
    char user[64], pool[64], type[16];
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    int r =
        db_first_text(db, "SELECT name FROM users WHERE id = ?1", user_id, user, sizeof user, err);
    if (r == 0) {
        dp_err_set(err, "no user with id %lld", (long long)user_id);
        r = DB_ENOTFOUND;
    }
    if (r == 1) {
        r = db_first_text(db, "SELECT name || ' ' || type FROM pools WHERE id = ?1", pool_id, pool,
                          sizeof pool, err);
        if (r == 0) {
            dp_err_set(err, "no pool with id %lld", (long long)pool_id);
            r = DB_ENOTFOUND;
        }
    }
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    char *sp = strchr(pool, ' ');
    snprintf(type, sizeof type, "%s", sp ? sp + 1 : "");
    if (sp)
        *sp = '\0';
    int personal = strcmp(type, "personal") == 0;
    struct db_vm own;
    int have_own = personal && get_one(db,
                                       "m.pool_id = ?1 AND m.assigned_user_id = ?2"
                                       " ORDER BY m.id LIMIT 1",
                                       pool_id, user_id, NULL, &own, NULL) == DB_OK;
    if (have_own && own.state != VM_READY) {
        dp_err_set(err, "pool \"%s\": %s's desktop \"%s\" is %s, not ready; start it", pool, user,
                   own.name, vm_state_name(own.state));
        db_rollback(db);
        return DB_ENOTFOUND;
    }
    /* One statement picks and takes the VM; BEGIN IMMEDIATE already holds the write lock,
     * and "state = 'ready'" in the UPDATE keeps it a compare-and-set regardless. */
    sqlite3_stmt *st = db_prep(db,
                               "UPDATE vms SET state = 'assigned', assigned_user_id = ?1,"
                               " state_changed = ?2 WHERE id = (SELECT id FROM vms"
                               " WHERE pool_id = ?3 AND state = 'ready' AND"
                               " (CASE WHEN ?4 THEN id = ?4 ELSE assigned_user_id IS NULL END)"
                               " ORDER BY state_changed, id LIMIT 1) AND state = 'ready'"
                               " RETURNING id",
                               err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, db_now(db));
    sqlite3_bind_int64(st, 3, pool_id);
    sqlite3_bind_int64(st, 4, have_own ? own.id : 0);
    int s = sqlite3_step(st);
    int64_t id = 0;
    if (s == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err,
                   "pool \"%s\" has no ready desktop for %s right now; one is being "
                   "started, ask again in a few seconds",
                   pool, user);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "claiming a VM");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_vm_get_by_id(db, id, out, err);
    if (rc == DB_OK) {
        const char *kv[] = {"from", "ready", "to", "assigned", "user", user};
        rc = db_audit_add_kv_internal(db, "vm.state", "vm", out->name, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

/* UPDATE of one column of one VM, guarded by `guard` (SQL on the row); audited. */
static int set_column(struct db *db, int64_t vm_id, const char *sql, int64_t value,
                      const char *action, const char *what, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    struct db_vm m;
    rc = db_vm_get_by_id(db, vm_id, &m, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, sql, err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, value);
        sqlite3_bind_int64(st, 2, vm_id);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = db_fail(db, err, what);
        } else if (sqlite3_changes(db->h) != 1) {
            dp_err_set(err,
                       "VM \"%s\" is %s: %s only while its disk is being made "
                       "(provisioning or refreshing)",
                       m.name, vm_state_name(m.state), what);
            rc = DB_ECONFLICT;
        }
    }
    sqlite3_finalize(st);
    if (rc == DB_OK) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)value);
        const char *kv[] = {"value", v};
        rc = db_audit_add_kv_internal(db, action, "vm", m.name, kv, 1, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_vm_set_rdp_port(struct db *db, int64_t vm_id, int port, struct dp_err *err)
{
    if (port < 0 || port > 65535) {
        dp_err_set(err, "RDP port %d out of range", port);
        return DB_EINVAL;
    }
    return set_column(db, vm_id, "UPDATE vms SET rdp_port = ?1 WHERE id = ?2", port, "vm.rdp_port",
                      "setting the RDP port", err);
}

int db_vm_set_template_version(struct db *db, int64_t vm_id, int64_t template_version_id,
                               struct dp_err *err)
{
    return set_column(db, vm_id,
                      "UPDATE vms SET template_version_id = ?1 WHERE id = ?2 AND state IN"
                      " ('provisioning', 'refreshing')",
                      template_version_id, "vm.template_version", "changing the template version",
                      err);
}

int db_vm_delete(struct db *db, int64_t vm_id, struct dp_err *err)
{
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    struct db_vm m;
    rc = db_vm_get_by_id(db, vm_id, &m, err);
    if (rc == DB_OK && m.state != VM_DELETING) {
        dp_err_set(err,
                   "VM \"%s\" is %s; it is removed only after being destroyed (state "
                   "deleting): run deskpool vm delete %s",
                   m.name, vm_state_name(m.state), m.name);
        rc = DB_ECONFLICT;
    }
    if (rc == DB_OK) {
        char who[64];
        int r = db_first_text(db,
                              "SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id"
                              " WHERE s.vm_id = ?1 AND s.state <> 'ended'",
                              vm_id, who, sizeof who, err);
        if (r == 1) {
            dp_err_set(err,
                       "VM \"%s\" has a live session of \"%s\"; log it off first: "
                       "deskpool session logoff %s",
                       m.name, who, who);
            rc = DB_ECONFLICT;
        } else if (r < 0) {
            rc = r;
        }
    }
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, "DELETE FROM vms WHERE id = ?", err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        sqlite3_bind_int64(st, 1, vm_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "deleting a VM");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK) {
        const char *kv[] = {"pool", m.pool_name};
        rc = db_audit_add_kv_internal(db, "vm.delete", "vm", m.name, kv, 1, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}
