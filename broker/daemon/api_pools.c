/* SPDX-License-Identifier: Apache-2.0 */
/* /pools: create (with the host memory check), show, change, recompose, resume, delete. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "pool_fit.h"
#include "pool_mgr.h"
#include "store/db.h"
#include "store/db_pools.h"
#include "store/db_sessions.h"
#include "store/db_templates.h"
#include "store/db_vms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *pool_json(struct db *db, const struct db_pool *p, int with_vms, struct dp_err *err,
                         int *rc)
{
    struct db_pool_counts c;
    if ((*rc = db_pool_counts(db, p->id, &c, err)) != DB_OK)
        return NULL;
    json_t *counts = json_object();
    for (int s = 0; s < VM_STATE_COUNT; s++)
        json_object_set_new(counts, vm_state_name((enum vm_state)s), json_integer(c.by_state[s]));
    json_object_set_new(counts, "spare_ready", json_integer(c.spare_ready));
    json_object_set_new(counts, "spare_stopped", json_integer(c.spare_stopped));
    json_object_set_new(counts, "total", json_integer(c.total));
    json_t *j = json_pack(
        "{s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:i,s:i,s:b,s:b,s:s,s:i,s:i,s:b,s:s,s:I,"
        "s:o}",
        "name", p->name, "template", p->template_name, "type", db_pool_type_name(p->type),
        "version", p->pinned_version, "min", p->min_vms, "max", p->max_vms, "spare", p->spare,
        "spare_stopped", p->spare_stopped, "naming", p->naming, "max_provisioning",
        p->max_provisioning, "disconnect_timeout_s", p->disconnect_timeout_s, "idle_timeout_s",
        p->idle_timeout_s, "max_session_s", p->max_session_s, "refresh_on_logoff",
        p->refresh_on_logoff, "allow_user_reset", p->allow_user_reset, "clone_mode",
        db_clone_mode_name(p->clone_mode), "memory_mb", p->memory_mb, "vcpus", p->vcpus, "paused",
        p->paused, "paused_reason", p->paused_reason, "created", (json_int_t)p->created, "counts",
        counts);
    if (with_vms) {
        struct db_vm *vms = NULL;
        size_t n = 0;
        if ((*rc = db_vm_list(db, p->id, -1, &vms, &n, err)) != DB_OK) {
            json_decref(j);
            return NULL;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, api_vm_json(&vms[i]));
        free(vms);
        json_object_set_new(j, "vms", arr);
    }
    return j;
}

static void reply_pool(struct api_req *r, int status, const char *name, int with_vms)
{
    struct dp_err err = {0};
    struct db_pool p;
    int rc = db_pool_get(r->d->db, name, &p, &err);
    json_t *j = rc == DB_OK ? pool_json(r->d->db, &p, with_vms, &err, &rc) : NULL;
    if (!j)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, status, j);
}

void api_pools_list(struct api_req *r)
{
    struct db_pool *p = NULL;
    size_t n = 0;
    struct dp_err err = {0};
    int rc = db_pool_list(r->d->db, &p, &n, &err);
    json_t *items = json_array();
    for (size_t i = 0; rc == DB_OK && i < n; i++) {
        json_t *j = pool_json(r->d->db, &p[i], 0, &err, &rc);
        if (j)
            json_array_append_new(items, j);
    }
    free(p);
    if (rc != DB_OK) {
        json_decref(items);
        api_reply_db(r, rc, &err);
        return;
    }
    api_reply_items(r, items);
}

void api_pools_get(struct api_req *r)
{
    reply_pool(r, 200, r->caps[0], 1);
}

/* The settable fields of a pool; name, type and template only when creating. */
struct pool_body {
    char name[64], template_name[64], type[16], naming[64], clone_mode[16];
};

#define POOL_FIELDS(p, b)                                                                          \
    API_INT("version", 0, &(p)->pinned_version, 0, 1000000),                                       \
        API_INT("min", 0, &(p)->min_vms, 0, 10000), API_INT("max", 0, &(p)->max_vms, 0, 10000),    \
        API_INT("spare", 0, &(p)->spare, 0, 10000),                                                \
        API_INT("spare_stopped", 0, &(p)->spare_stopped, 0, 10000),                                \
        API_STR("naming", 0, (b)->naming),                                                         \
        API_INT("max_provisioning", 0, &(p)->max_provisioning, 1, 1000),                           \
        API_INT("disconnect_timeout_s", 0, &(p)->disconnect_timeout_s, 0, 1 << 30),                \
        API_INT("idle_timeout_s", 0, &(p)->idle_timeout_s, 0, 1 << 30),                            \
        API_INT("max_session_s", 0, &(p)->max_session_s, 0, 1 << 30),                              \
        API_BOOL("refresh_on_logoff", 0, &(p)->refresh_on_logoff),                                 \
        API_BOOL("allow_user_reset", 0, &(p)->allow_user_reset),                                   \
        API_STR("clone_mode", 0, (b)->clone_mode),                                                 \
        API_INT("memory_mb", 0, &(p)->memory_mb, 0, 1 << 20),                                      \
        API_INT("vcpus", 0, &(p)->vcpus, 0, 256)

/* Applies the string fields of b that were present; answers 400 on a bad clone mode. */
static int apply_strings(struct api_req *r, struct db_pool *p, const struct pool_body *b,
                         struct api_field *f, size_t n)
{
    if (api_json_field(f, n, "naming")->present)
        snprintf(p->naming, sizeof p->naming, "%s", b->naming);
    if (api_json_field(f, n, "clone_mode")->present &&
        db_clone_mode_parse(b->clone_mode, &p->clone_mode) != 0) {
        api_reply_error(r, 400, "field \"clone_mode\" is \"%s\"; it must be instant or boot",
                        b->clone_mode);
        return -1;
    }
    return 0;
}

/* The host memory check; answers 400 with the numbers (or the store's error) and returns -1
 * when the pool's max VMs cannot all run on this host. */
static int check_memory(struct api_req *r, const struct db_pool *p)
{
    int mem = p->memory_mb;
    struct dp_err err = {0};
    if (!mem) {
        struct db_template_version v;
        int rc = db_template_version_get(r->d->db, p->template_name, p->pinned_version, &v, &err);
        if (rc != DB_OK) {
            api_reply_db(r, rc, &err);
            return -1;
        }
        mem = v.memory_mb;
    }
    struct host_mem hm;
    char msg[1024];
    if (host_mem_read(NULL, &hm, &err) != 0) {
        api_reply_error(r, 500, "%s", dp_err_msg(&err));
        return -1;
    }
    if (!pool_fits(p->name, p->max_vms, mem, hm.total_mb, r->d->cfg.memory_reserve_mb, msg,
                   sizeof msg)) {
        api_reply_error(r, 400, "%s", msg);
        return -1;
    }
    return 0;
}

void api_pools_create(struct api_req *r)
{
    struct db_pool p;
    struct pool_body b = {0};
    db_pool_defaults(&p);
    struct api_field f[] = {
        API_STR("name", 1, b.name),
        API_STR("template", 1, b.template_name),
        API_STR("type", 1, b.type),
        POOL_FIELDS(&p, &b),
    };
    size_t n = sizeof f / sizeof f[0];
    if (api_body_fields(r, f, n) != 0 || apply_strings(r, &p, &b, f, n) != 0)
        return;
    if (!api_json_field(f, n, "max")->present) {
        api_reply_error(r, 400, "field \"max\" is missing (the most VMs the pool may have)");
        return;
    }
    if (db_pool_type_parse(b.type, &p.type) != 0) {
        api_reply_error(r, 400, "field \"type\" is \"%s\"; it must be pooled or personal", b.type);
        return;
    }
    snprintf(p.name, sizeof p.name, "%s", b.name);
    snprintf(p.template_name, sizeof p.template_name, "%s", b.template_name);
    /* The name first: a taken name is a 409 even when the new pool would not fit either. */
    struct db_pool existing;
    if (db_pool_get(r->d->db, p.name, &existing, NULL) == DB_OK) {
        api_reply_error(r, 409, "pool \"%s\" exists; pick another name or change it with PATCH",
                        p.name);
        return;
    }
    if (check_memory(r, &p) != 0)
        return;
    struct dp_err err = {0};
    db_set_actor(r->d->db, r->actor);
    int rc = db_pool_create(r->d->db, &p, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    pool_mgr_kick(r->d->pm);
    reply_pool(r, 201, p.name, 0);
}

void api_pools_patch(struct api_req *r)
{
    struct db_pool p;
    struct pool_body b = {0};
    struct dp_err err = {0};
    int rc = db_pool_get(r->d->db, r->caps[0], &p, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    struct api_field f[] = {POOL_FIELDS(&p, &b)};
    size_t n = sizeof f / sizeof f[0];
    if (api_body_fields(r, f, n) != 0 || apply_strings(r, &p, &b, f, n) != 0 ||
        check_memory(r, &p) != 0)
        return;
    db_set_actor(r->d->db, r->actor);
    if ((rc = db_pool_update(r->d->db, &p, &err)) != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    pool_mgr_kick(r->d->pm);
    reply_pool(r, 200, p.name, 0);
}

void api_pools_recompose(struct api_req *r)
{
    struct db_pool p;
    struct dp_err err = {0};
    int version = 0, deadline = 0;
    struct api_field f[] = {
        API_INT("version", 0, &version, 0, 1000000),
        API_INT("deadline_s", 0, &deadline, 0, 1 << 30),
    };
    if (api_body_fields(r, f, 2) != 0)
        return;
    int rc = db_pool_get(r->d->db, r->caps[0], &p, &err);
    if (rc == DB_OK)
        rc = pool_mgr_recompose(r->d->pm, p.id, version, deadline, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    char v[16], dl[16];
    snprintf(v, sizeof v, "%d", version);
    snprintf(dl, sizeof dl, "%d", deadline);
    const char *kv[] = {"version", version ? v : "latest", "deadline_s", dl};
    char obj[96];
    snprintf(obj, sizeof obj, "pool:%s", p.name);
    api_audit(r, "pool.recompose", obj, kv, 2);
    api_reply_json(r, 202, json_pack("{s:s,s:s}", "pool", p.name, "status", "recomposing"));
}

void api_pools_resume(struct api_req *r)
{
    struct db_pool p;
    struct dp_err err = {0};
    if (api_body_fields(r, NULL, 0) != 0)
        return;
    int rc = db_pool_get(r->d->db, r->caps[0], &p, &err);
    if (rc == DB_OK)
        rc = pool_mgr_pool_resume(r->d->pm, p.id, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    char obj[96];
    snprintf(obj, sizeof obj, "pool:%s", p.name);
    api_audit(r, "pool.resume_requested", obj, NULL, 0);
    reply_pool(r, 200, p.name, 0);
}

void api_pools_delete(struct api_req *r)
{
    struct db_pool p;
    struct dp_err err = {0};
    const char *force_s = api_query(r, "force");
    int force = force_s && strcmp(force_s, "1") == 0;
    int rc = db_pool_get(r->d->db, r->caps[0], &p, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    struct db_session *s = NULL;
    size_t n = 0;
    rc = db_session_list(r->d->db, p.id, 1, &s, &n, &err);
    if (rc == DB_OK && n && !force) {
        api_reply_error(r, 409,
                        "pool \"%s\" has %zu live session(s) (user \"%s\" on %s, ...); log them "
                        "off first or delete with ?force=1",
                        p.name, n, s[0].user, s[0].vm);
        free(s);
        return;
    }
    free(s);
    if (rc == DB_OK)
        rc = pool_mgr_pool_delete(r->d->pm, p.id, force, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    char obj[96];
    snprintf(obj, sizeof obj, "pool:%s", p.name);
    const char *kv[] = {"force", force ? "yes" : "no"};
    api_audit(r, "pool.delete_requested", obj, kv, 1);
    api_reply_json(r, 204, NULL);
}
