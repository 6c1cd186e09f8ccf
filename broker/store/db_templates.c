/* SPDX-License-Identifier: Apache-2.0 */
/* The templates and template_versions tables. */
#include "db_templates.h"
#include "db_internal.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_COLS                                                                                   \
    "t.id, t.name, t.created, (SELECT max(version) FROM template_versions v"                       \
    " WHERE v.template_id = t.id)"

#define VER_COLS                                                                                   \
    "v.id, v.template_id, t.name, v.version, v.base_path, v.kernel, v.initrd, v.append,"           \
    " v.memory_mb, v.vcpus, v.has_rdp, v.sha256, v.created"

static void read_tpl(sqlite3_stmt *st, struct db_template *t)
{
    t->id = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, t->name, sizeof t->name);
    t->created = sqlite3_column_int64(st, 2);
    t->latest_version = sqlite3_column_int(st, 3);
}

/* read_tpl for db_collect, which knows rows only as bytes. */
static void read_tpl_row(sqlite3_stmt *st, void *row)
{
    read_tpl(st, row);
}

static void read_ver(sqlite3_stmt *st, struct db_template_version *v)
{
    v->id = sqlite3_column_int64(st, 0);
    v->template_id = sqlite3_column_int64(st, 1);
    db_col_text(st, 2, v->template_name, sizeof v->template_name);
    v->version = sqlite3_column_int(st, 3);
    db_col_text(st, 4, v->base_path, sizeof v->base_path);
    db_col_text(st, 5, v->kernel, sizeof v->kernel);
    db_col_text(st, 6, v->initrd, sizeof v->initrd);
    db_col_text(st, 7, v->append, sizeof v->append);
    v->memory_mb = sqlite3_column_int(st, 8);
    v->vcpus = sqlite3_column_int(st, 9);
    v->has_rdp = sqlite3_column_int(st, 10);
    db_col_text(st, 11, v->sha256, sizeof v->sha256);
    v->created = sqlite3_column_int64(st, 12);
}

/* read_ver for db_collect, which knows rows only as bytes. */
static void read_ver_row(sqlite3_stmt *st, void *row)
{
    read_ver(st, row);
}

int db_template_get(struct db *db, const char *name, struct db_template *out, struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db, "SELECT " TPL_COLS " FROM templates t WHERE t.name = ?", err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, name);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_tpl(st, out);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "no template \"%s\"; list them with: deskpool template list", name);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a template");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_template_create(struct db *db, const char *name, struct db_template *out, struct dp_err *err)
{
    int rc = db_check_name("template", name, 0, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_begin(db, err)) != DB_OK)
        return rc;
    struct db_template t;
    if (db_template_get(db, name, &t, NULL) == DB_OK) {
        db_rollback(db);
        dp_err_set(err,
                   "template \"%s\" already exists; choose another name or run: deskpool "
                   "template show %s",
                   name, name);
        return DB_EEXISTS;
    }
    sqlite3_stmt *st = db_prep(db, "INSERT INTO templates(name, created) VALUES (?, ?)", err);
    if (!st) {
        db_rollback(db);
        return DB_EIO;
    }
    db_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, db_now(db));
    rc = sqlite3_step(st) == SQLITE_DONE ? DB_OK : db_fail(db, err, "creating a template");
    sqlite3_finalize(st);
    const char *kv[] = {"name", name};
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "template.create", "template", name, kv, 1, err);
    if (rc == DB_OK)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    if (rc == DB_OK && out)
        rc = db_template_get(db, name, out, err);
    return rc;
}

int db_template_list(struct db *db, struct db_template **out, size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db, "SELECT " TPL_COLS " FROM templates t ORDER BY t.name", err);
    if (!st)
        return DB_EIO;
    return db_collect(db, st, sizeof **out, read_tpl_row, (void **)out, n, "listing templates",
                      err);
}

/* Refuses (DB_ECONFLICT) if a pool uses template `t` or a VM's disk is backed by one of its
 * versions (version_id 0) or by version_id only. Names the first user found. */
static int check_unused(struct db *db, const struct db_template *t, int64_t version_id, int version,
                        struct dp_err *err)
{
    char who[64];
    int r;
    if (version_id == 0)
        r = db_first_text(db, "SELECT name FROM pools WHERE template_id = ?1 ORDER BY name", t->id,
                          who, sizeof who, err);
    else
        r = db_first_text(db, "SELECT name FROM pools WHERE template_version_id = ?1 ORDER BY name",
                          version_id, who, sizeof who, err);
    if (r < 0)
        return r;
    if (r == 1) {
        if (version_id == 0)
            dp_err_set(err,
                       "template \"%s\" is used by pool \"%s\"; delete or change the pool "
                       "first",
                       t->name, who);
        else
            dp_err_set(err,
                       "template \"%s\" version %d is pinned by pool \"%s\"; unpin it "
                       "(deskpool pool set %s --version latest) first",
                       t->name, version, who, who);
        return DB_ECONFLICT;
    }
    r = db_first_text(db,
                      version_id == 0
                          ? "SELECT vms.name FROM vms JOIN template_versions v ON"
                            " v.id = vms.template_version_id WHERE v.template_id = ?1"
                            " ORDER BY vms.name"
                          : "SELECT name FROM vms WHERE template_version_id = ?1 ORDER BY name",
                      version_id == 0 ? t->id : version_id, who, sizeof who, err);
    if (r < 0)
        return r;
    if (r == 1) {
        dp_err_set(err,
                   "template \"%s\" is the disk base of VM \"%s\"; delete the VM or "
                   "recompose its pool first",
                   t->name, who);
        return DB_ECONFLICT;
    }
    return DB_OK;
}

int db_template_delete(struct db *db, const char *name, struct dp_err *err)
{
    struct db_template t;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if ((rc = db_template_get(db, name, &t, err)) == DB_OK)
        rc = check_unused(db, &t, 0, 0, err);
    if (rc == DB_OK) {
        sqlite3_stmt *st = db_prep(db, "DELETE FROM templates WHERE id = ?", err);
        rc = st ? DB_OK : DB_EIO;
        if (st) {
            sqlite3_bind_int64(st, 1, t.id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = db_fail(db, err, "deleting a template");
            sqlite3_finalize(st);
        }
    }
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, "template.delete", "template", name, NULL, 0, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_template_version_get_by_id(struct db *db, int64_t id, struct db_template_version *out,
                                  struct dp_err *err)
{
    sqlite3_stmt *st = db_prep(db,
                               "SELECT " VER_COLS " FROM template_versions v JOIN templates t ON"
                               " t.id = v.template_id WHERE v.id = ?",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_ver(st, out);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "no template version with id %lld", (long long)id);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a template version");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_template_version_get(struct db *db, const char *name, int version,
                            struct db_template_version *out, struct dp_err *err)
{
    struct db_template t;
    int rc = db_template_get(db, name, &t, err);
    if (rc != DB_OK)
        return rc;
    if (t.latest_version == 0) {
        dp_err_set(err, "template \"%s\" has no version; run: deskpool template import %s IMAGE",
                   name, name);
        return DB_ENOTFOUND;
    }
    sqlite3_stmt *st = db_prep(db,
                               "SELECT " VER_COLS " FROM template_versions v JOIN templates t ON"
                               " t.id = v.template_id WHERE v.template_id = ? AND v.version = ?",
                               err);
    if (!st)
        return DB_EIO;
    sqlite3_bind_int64(st, 1, t.id);
    sqlite3_bind_int(st, 2, version ? version : t.latest_version);
    int s = sqlite3_step(st);
    rc = DB_OK;
    if (s == SQLITE_ROW) {
        read_ver(st, out);
    } else if (s == SQLITE_DONE) {
        dp_err_set(err, "template \"%s\" has no version %d; see: deskpool template show %s", name,
                   version, name);
        rc = DB_ENOTFOUND;
    } else {
        rc = db_fail(db, err, "reading a template version");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_template_version_add(struct db *db, struct db_template_version *v, struct dp_err *err)
{
    if (v->memory_mb <= 0 || v->vcpus <= 0 || v->base_path[0] == '\0') {
        dp_err_set(err, "template \"%s\": a version needs a base disk, memory and vCPUs",
                   v->template_name);
        return DB_EINVAL;
    }
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    struct db_template t;
    if (db_template_get(db, v->template_name, &t, NULL) != DB_OK)
        rc = db_template_create(db, v->template_name, &t, err);
    if (rc == DB_OK && v->version != 0 && v->version <= t.latest_version) {
        struct db_template_version old;
        if (db_template_version_get(db, t.name, v->version, &old, NULL) == DB_OK) {
            dp_err_set(err,
                       "template \"%s\" already has version %d; versions never change, "
                       "import the new image as the next version",
                       t.name, v->version);
            rc = DB_EEXISTS;
        }
    }
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK)
        st = db_prep(db,
                     "INSERT INTO template_versions(template_id, version, base_path, kernel,"
                     " initrd, append, memory_mb, vcpus, has_rdp, sha256, created)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     err);
    if (rc == DB_OK && !st)
        rc = DB_EIO;
    if (rc == DB_OK) {
        v->template_id = t.id;
        if (v->version == 0)
            v->version = t.latest_version + 1;
        v->created = db_now(db);
        sqlite3_bind_int64(st, 1, t.id);
        sqlite3_bind_int(st, 2, v->version);
        db_bind_text(st, 3, v->base_path);
        db_bind_text(st, 4, v->kernel);
        db_bind_text(st, 5, v->initrd);
        db_bind_text(st, 6, v->append);
        sqlite3_bind_int(st, 7, v->memory_mb);
        sqlite3_bind_int(st, 8, v->vcpus);
        sqlite3_bind_int(st, 9, v->has_rdp ? 1 : 0);
        db_bind_text(st, 10, v->sha256);
        sqlite3_bind_int64(st, 11, v->created);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "adding a template version");
        v->id = sqlite3_last_insert_rowid(db->h);
    }
    sqlite3_finalize(st);
    if (rc == DB_OK) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", v->version);
        const char *kv[] = {"version", ver, "base", v->base_path, "sha256", v->sha256};
        rc = db_audit_add_kv_internal(db, "template.version_add", "template", t.name, kv, 3, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_template_version_list(struct db *db, const char *name, struct db_template_version **out,
                             size_t *n, struct dp_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = db_prep(db,
                               "SELECT " VER_COLS " FROM template_versions v JOIN templates t ON"
                               " t.id = v.template_id WHERE ?1 IS NULL OR t.name = ?1"
                               " ORDER BY t.name, v.version",
                               err);
    if (!st)
        return DB_EIO;
    db_bind_text(st, 1, name);
    return db_collect(db, st, sizeof **out, read_ver_row, (void **)out, n,
                      "listing template versions", err);
}

int db_template_version_delete(struct db *db, const char *name, int version, struct dp_err *err)
{
    struct db_template t;
    struct db_template_version v;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    if (version <= 0) {
        dp_err_set(err, "template \"%s\": say which version to delete (1, 2, ...)", name);
        rc = DB_EINVAL;
    }
    if (rc == DB_OK)
        rc = db_template_get(db, name, &t, err);
    if (rc == DB_OK)
        rc = db_template_version_get(db, name, version, &v, err);
    if (rc == DB_OK)
        rc = check_unused(db, &t, v.id, version, err);
    if (rc == DB_OK) {
        sqlite3_stmt *st = db_prep(db, "DELETE FROM template_versions WHERE id = ?", err);
        rc = st ? DB_OK : DB_EIO;
        if (st) {
            sqlite3_bind_int64(st, 1, v.id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = db_fail(db, err, "deleting a template version");
            sqlite3_finalize(st);
        }
    }
    if (rc == DB_OK) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", version);
        const char *kv[] = {"version", ver};
        rc = db_audit_add_kv_internal(db, "template.version_delete", "template", name, kv, 1, err);
    }
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}
