/* SPDX-License-Identifier: Apache-2.0 */
/* /templates: list, show, import an image, build the tiny one, delete. */
#include "api.h"
#include "api_job.h"
#include "daemon.h"
#include "err.h"
#include "files.h"
#include "hv.h"
#include "log.h"
#include "parent_gc.h"
#include "store.h"
#include "store/db.h"
#include "store/db_templates.h"
#include "tiny_build.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"name", "versions": [...]} of one template, read through db. */
static json_t *template_json(struct db *db, const char *name, struct dp_err *err, int *rc)
{
    struct db_template_version *v = NULL;
    size_t n = 0;
    struct db_template t;
    if ((*rc = db_template_get(db, name, &t, err)) != DB_OK ||
        (*rc = db_template_version_list(db, t.name, &v, &n, err)) != DB_OK)
        return NULL;
    json_t *versions = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            versions, json_pack("{s:i,s:i,s:i,s:b,s:s,s:I}", "version", v[i].version, "memory_mb",
                                v[i].memory_mb, "vcpus", v[i].vcpus, "has_rdp", v[i].has_rdp,
                                "sha256", v[i].sha256, "created", (json_int_t)v[i].created));
    free(v);
    return json_pack("{s:s,s:I,s:o}", "name", t.name, "created", (json_int_t)t.created, "versions",
                     versions);
}

void api_templates_list(struct api_req *r)
{
    struct db_template *t = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int rc = db_template_list(r->d->db, &t, &n, &err);
    json_t *items = json_array();
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        json_t *j = template_json(r->d->db, t[i].name, &err, &rc);
        if (j)
            json_array_append_new(items, j);
    }
    free(t);
    if (rc != DB_OK) {
        json_decref(items);
        api_reply_db(r, rc, &err);
        return;
    }
    api_reply_items(r, items);
}

void api_templates_get(struct api_req *r)
{
    struct dp_err err = {0};
    int rc;
    json_t *j = template_json(r->d->db, r->caps[0], &err, &rc);
    if (!j)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 200, j);
}

/* Records a template-store version in the broker's store (same number), unless it is there
 * already (a cached tiny build). */
static int record_version(struct db *db, const struct tpl_version *v, struct dp_err *err)
{
    struct db_template_version dv;
    if (db_template_version_get(db, v->name, v->version, &dv, NULL) == DB_OK)
        return DB_OK;
    memset(&dv, 0, sizeof dv);
    snprintf(dv.template_name, sizeof dv.template_name, "%s", v->name);
    dv.version = v->version;
    snprintf(dv.base_path, sizeof dv.base_path, "%s", v->base);
    snprintf(dv.kernel, sizeof dv.kernel, "%s", v->kernel);
    snprintf(dv.initrd, sizeof dv.initrd, "%s", v->initrd);
    snprintf(dv.append, sizeof dv.append, "%s", v->append);
    dv.memory_mb = v->memory_mb;
    dv.vcpus = v->vcpus;
    dv.has_rdp = v->has_rdp;
    snprintf(dv.sha256, sizeof dv.sha256, "%s", v->sha256);
    return db_template_version_add(db, &dv, err);
}

struct import_job {
    struct api_job aj;
    char name[64], image[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], append[1024];
    int memory_mb, vcpus, has_rdp;
};

static void import_work(struct api_job *aj, struct db *db)
{
    struct import_job *ij = (struct import_job *)aj;
    struct deskpoold *d = aj->r->d;
    struct dp_err err = {0};
    struct db_template t;
    /* The row first: it checks the name before gigabytes are copied. */
    int created = 0, rc = db_template_get(db, ij->name, &t, NULL);
    if (rc == DB_ENOTFOUND) {
        rc = db_template_create(db, ij->name, &t, &err);
        created = rc == DB_OK;
    }
    if (rc != DB_OK) {
        api_job_fail_db(aj, rc, &err);
        return;
    }
    struct tpl_import_opts o = {
        .kernel = ij->kernel[0] ? ij->kernel : NULL,
        .initrd = ij->initrd[0] ? ij->initrd : NULL,
        .append = ij->append[0] ? ij->append : NULL,
        .memory_mb = ij->memory_mb,
        .vcpus = ij->vcpus,
        .has_rdp = ij->has_rdp,
    };
    struct tpl_version v;
    if (store_import(d->cfg.state_dir, ij->name, ij->image, &o, &v, &err) != 0) {
        if (created)
            db_template_delete(db, ij->name, NULL);
        api_job_fail(aj, 400, "importing %s as template \"%s\": %s", ij->image, ij->name,
                     dp_err_msg(&err));
        return;
    }
    if ((rc = record_version(db, &v, &err)) != DB_OK) {
        api_job_fail_db(aj, rc, &err);
        return;
    }
    aj->reply = template_json(db, ij->name, &err, &rc);
    aj->status = aj->reply ? 201 : 500;
    if (!aj->reply)
        api_job_fail_db(aj, rc, &err);
}

void api_templates_create(struct api_req *r)
{
    struct import_job *ij = calloc(1, sizeof *ij);
    if (!ij) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {
        API_STR("name", 1, ij->name),
        API_STR("image", 1, ij->image),
        API_STR("kernel", 0, ij->kernel),
        API_STR("initrd", 0, ij->initrd),
        API_STR("append", 0, ij->append),
        API_INT("memory_mb", 0, &ij->memory_mb, 64, 1 << 20),
        API_INT("vcpus", 0, &ij->vcpus, 1, 256),
        API_BOOL("has_rdp", 0, &ij->has_rdp),
    };
    if (api_body_fields(r, f, sizeof f / sizeof f[0]) != 0) {
        free(ij);
        return;
    }
    ij->aj.r = r;
    ij->aj.work = import_work;
    api_job_submit(&ij->aj);
}

static void tiny_work(struct api_job *aj, struct db *db)
{
    struct deskpoold *d = aj->r->d;
    struct dp_err err = {0};
    struct tpl_version v;
    log_info("building the tiny template (minutes the first time; cached after)");
    if (tiny_build(d->cfg.state_dir, &d->tiny, &v, NULL, &err) != 0) {
        api_job_fail(aj, 500, "%s", dp_err_msg(&err));
        return;
    }
    int rc = record_version(db, &v, &err);
    if (rc == DB_OK)
        aj->reply = template_json(db, "tiny", &err, &rc);
    if (!aj->reply) {
        api_job_fail_db(aj, rc, &err);
        return;
    }
    aj->status = 201;
}

void api_templates_build_tiny(struct api_req *r)
{
    struct api_job *aj = calloc(1, sizeof *aj);
    if (!aj || api_body_fields(r, NULL, 0) != 0) {
        if (!aj)
            api_reply_error(r, 500, "out of memory");
        free(aj);
        return;
    }
    aj->r = r;
    aj->work = tiny_work;
    api_job_submit(aj);
}

/* A deleted template's instant-clone parents hold a RAM file each; no VM uses them (the
 * store refused the delete otherwise), so they go too, with any other parent nothing needs. */
static void gc_parents(const char *state_dir)
{
    struct dp_err err = {0};
    struct tpl_version *live = NULL;
    size_t n_live = 0, n = 0;
    struct hv *hv = hv_qemu_open(state_dir, &err);
    if (hv && store_list(state_dir, &live, &n_live, &err) == 0)
        hv_parent_gc(hv, live, n_live, 0, 0, 0, NULL, &n, &err);
    if (err.set)
        log_warn("removing unused instant-clone parents: %s", dp_err_msg(&err));
    free(live);
    if (hv)
        hv->ops->close(hv);
}

void api_templates_delete(struct api_req *r)
{
    struct dp_err err = {0};
    struct db_template t;
    db_set_actor(r->d->db, r->actor);
    /* Names are case-insensitive in the store; the folder has the stored spelling. */
    int rc = db_template_get(r->d->db, r->caps[0], &t, &err);
    if (rc == DB_OK)
        rc = db_template_delete(r->d->db, t.name, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    /* The store refused while any VM's disk was backed by it, so the files are unused. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/templates/%s", r->d->cfg.state_dir, t.name);
    if (dp_remove_tree(dir, &err) != 0)
        log_warn("template \"%s\" deleted, but its files stay: %s", t.name, dp_err_msg(&err));
    gc_parents(r->d->cfg.state_dir);
    api_reply_json(r, 204, NULL);
}
