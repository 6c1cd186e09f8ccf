/* SPDX-License-Identifier: Apache-2.0 */
/* /vms: list, show, and the admin's start, stop, reset and delete (queued to the pool
 * manager, which changes the state). */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "pool_mgr.h"
#include "store/db.h"
#include "store/db_pools.h"
#include "store/db_vms.h"

#include <stdio.h>
#include <stdlib.h>

json_t *api_vm_json(const struct db_vm *vm)
{
    return json_pack("{s:s,s:s,s:s,s:s*,s:i,s:s,s:i,s:s,s:I,s:I}", "name", vm->name, "pool",
                     vm->pool_name, "state", vm_state_name(vm->state), "user",
                     vm->assigned_user[0] ? vm->assigned_user : NULL, "rdp_port", vm->rdp_port,
                     "host", vm->host, "template_version", vm->template_version, "last_error",
                     vm->last_error, "state_changed", (json_int_t)vm->state_changed, "created",
                     (json_int_t)vm->created);
}

void api_vms_list(struct api_req *r)
{
    struct dp_err err = {0};
    const char *pool = api_query(r, "pool");
    struct db_pool p = {0};
    int rc = pool ? db_pool_get(r->d->db, pool, &p, &err) : DB_OK;
    struct db_vm *vms = NULL;
    size_t n = 0;
    if (rc == DB_OK)
        rc = db_vm_list(r->d->db, p.id, -1, &vms, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, api_vm_json(&vms[i]));
    free(vms);
    api_reply_items(r, items);
}

void api_vms_get(struct api_req *r)
{
    struct dp_err err = {0};
    struct db_vm vm;
    int rc = db_vm_get(r->d->db, r->caps[0], &vm, &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 200, api_vm_json(&vm));
}

/* Looks the VM up, queues the action, audits the admin's request, answers 202 (204 for a
 * delete). */
static void act(struct api_req *r, const char *action,
                int (*fn)(struct pool_mgr *, int64_t, struct dp_err *), int status)
{
    struct dp_err err = {0};
    struct db_vm vm;
    if (api_body_fields(r, NULL, 0) != 0)
        return;
    int rc = db_vm_get(r->d->db, r->caps[0], &vm, &err);
    if (rc == DB_OK)
        rc = fn(r->d->pm, vm.id, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    char obj[96], act_name[32];
    snprintf(obj, sizeof obj, "vm:%s", vm.name);
    snprintf(act_name, sizeof act_name, "vm.%s_requested", action);
    api_audit(r, act_name, obj, NULL, 0);
    if (status == 204)
        api_reply_json(r, 204, NULL);
    else
        api_reply_json(r, status, json_pack("{s:s,s:s}", "vm", vm.name, "action", action));
}

void api_vms_start(struct api_req *r)
{
    act(r, "start", pool_mgr_vm_start, 202);
}

void api_vms_stop(struct api_req *r)
{
    act(r, "stop", pool_mgr_vm_stop, 202);
}

void api_vms_reset(struct api_req *r)
{
    act(r, "reset", pool_mgr_vm_reset, 202);
}

void api_vms_delete(struct api_req *r)
{
    act(r, "delete", pool_mgr_vm_delete, 204);
}
