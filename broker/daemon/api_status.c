/* SPDX-License-Identifier: Apache-2.0 */
/* GET /status: what runs, at a glance. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "pool_fit.h"
#include "store/db.h"
#include "store/db_pools.h"
#include "store/db_sessions.h"
#include "store/db_vms.h"

#include <stdlib.h>
#include <time.h>

void api_status_get(struct api_req *r)
{
    struct dp_err err = {0};
    struct db_pool *pools = NULL;
    struct db_vm *vms = NULL;
    struct db_session *sessions = NULL;
    size_t npools = 0, nvms = 0, nsessions = 0;
    int rc = db_pool_list(r->d->db, &pools, &npools, &err);
    if (rc == DB_OK)
        rc = db_vm_list(r->d->db, 0, -1, &vms, &nvms, &err);
    if (rc == DB_OK)
        rc = db_session_list(r->d->db, 0, 1, &sessions, &nsessions, &err);
    free(pools);
    free(sessions);
    if (rc != DB_OK) {
        free(vms);
        api_reply_db(r, rc, &err);
        return;
    }
    int by_state[VM_STATE_COUNT] = {0};
    for (size_t i = 0; i < nvms; i++)
        if (vms[i].state < VM_STATE_COUNT)
            by_state[vms[i].state]++;
    free(vms);
    json_t *states = json_object();
    for (int s = 0; s < VM_STATE_COUNT; s++)
        json_object_set_new(states, vm_state_name((enum vm_state)s), json_integer(by_state[s]));
    struct host_mem mem = {0};
    host_mem_read(NULL, &mem, NULL);
    api_reply_json(
        r, 200,
        json_pack("{s:s,s:I,s:I,s:o,s:I,s:{s:I,s:I}}", "version", DESKPOOL_VERSION_STRING,
                  "uptime_s", (json_int_t)(time(NULL) - r->d->started), "pools", (json_int_t)npools,
                  "vms", states, "sessions_live", (json_int_t)nsessions, "host", "mem_total_mb",
                  (json_int_t)mem.total_mb, "mem_available_mb", (json_int_t)mem.available_mb));
}
