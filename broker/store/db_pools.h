/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_POOLS_H
#define DESKPOOL_BROKER_DB_POOLS_H

/*
 * Pools: a template, a type, sizing (Horizon/OpenUDS style), session timeouts and policy.
 * The pool manager reads them and the per-state counts to decide what to provision, start,
 * stop or refresh; the admin CLI creates and changes them.
 */
#include "vm_state.h"

#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

enum db_pool_type {
    DB_POOL_POOLED,   /* non-persistent: any ready VM; refreshed on logoff */
    DB_POOL_PERSONAL, /* first login assigns a VM to the user for good */
};

enum db_clone_mode {
    DB_CLONE_INSTANT, /* restore each clone from the template's saved memory state */
    DB_CLONE_BOOT,    /* cold-boot each clone */
};

struct db_pool {
    int64_t id;
    char name[64];
    enum db_pool_type type;
    char template_name[64];
    int64_t template_id;         /* filled by the store */
    int pinned_version;          /* 0: follow the template's latest version */
    int64_t template_version_id; /* filled by the store; 0 when not pinned */
    int min_vms;                 /* total VMs kept at least */
    int max_vms;                 /* never more than this */
    int spare;                   /* L1: running, ready and unassigned */
    int spare_stopped;           /* L2: provisioned, powered off */
    char naming[64];             /* "lab-{n:03}", see naming.h */
    int max_provisioning;        /* VMs provisioning or starting at once (these hosts are small) */
    int disconnect_timeout_s;    /* disconnected -> logoff; 0 = never */
    int idle_timeout_s;          /* connected but idle -> logoff; 0 = never */
    int max_session_s;           /* any live session -> logoff; 0 = never */
    int refresh_on_logoff;       /* pooled: discard the disk when a user logs off */
    int allow_user_reset;        /* users may reset their own desktop */
    enum db_clone_mode clone_mode;
    int memory_mb; /* 0: the template version's */
    int vcpus;     /* 0: the template version's */
    int paused;    /* restraint: provisioning stopped until resumed */
    char paused_reason[256];
    int64_t created;
};

/* VMs of one pool per state, and the two numbers spare targets are about. */
struct db_pool_counts {
    int by_state[VM_STATE_COUNT];
    int total;
    int spare_ready;   /* L1 now: ready and not owned by anyone */
    int spare_stopped; /* L2 now: stopped and not owned by anyone */
    int busy;          /* provisioning + starting + refreshing: for max_provisioning */
};

/* Fills p with the defaults of `deskpool pool create` (pooled, instant clones, refresh on
 * logoff, 1 h disconnect timeout, one provisioning at a time, naming "NAME-{n:03}" once
 * the name is known). */
void db_pool_defaults(struct db_pool *p);

/*
 * Creates a pool from p (name, template_name, pinned_version, sizing, policy); fills p->id,
 * p->template_id, p->template_version_id and p->created. Refuses an invalid sizing or naming
 * pattern (DB_EINVAL), an unknown template or version (DB_ENOTFOUND), a taken name
 * (DB_EEXISTS). An empty naming becomes "NAME-{n:03}".
 */
int db_pool_create(struct db *db, struct db_pool *p, struct dp_err *err);

int db_pool_get(struct db *db, const char *name, struct db_pool *out, struct dp_err *err);
int db_pool_get_by_id(struct db *db, int64_t id, struct db_pool *out, struct dp_err *err);

/* All pools by name, malloc'd (free() it). */
int db_pool_list(struct db *db, struct db_pool **out, size_t *n, struct dp_err *err);

/*
 * Writes every setting of p (found by p->id) except name and created, with the checks of
 * db_pool_create. The type cannot change while the pool has VMs (DB_ECONFLICT): a pooled VM
 * carries no owner and a personal one carries a user's data.
 */
int db_pool_update(struct db *db, struct db_pool *p, struct dp_err *err);

/* Pauses (with a reason shown in `pool show`) or resumes provisioning; audited. */
int db_pool_set_paused(struct db *db, int64_t pool_id, int paused, const char *reason,
                       struct dp_err *err);

/* Deletes a pool (its entitlements and session history go with it). Refused while it has
 * VMs (DB_ECONFLICT), saying how to empty it. */
int db_pool_delete(struct db *db, const char *name, struct dp_err *err);

/* Counts the pool's VMs per state. */
int db_pool_counts(struct db *db, int64_t pool_id, struct db_pool_counts *out, struct dp_err *err);

/*
 * The pool's next VM name: its naming pattern with the smallest counter whose name no VM
 * has (names freed by deletions are reused, so names stay short). Only a suggestion: two
 * connections may get the same one, and db_vm_create then fails on the unique name.
 */
int db_pool_next_vm_name(struct db *db, const struct db_pool *p, char *out, size_t cap,
                         struct dp_err *err);

const char *db_pool_type_name(enum db_pool_type t);
int db_pool_type_parse(const char *s, enum db_pool_type *out);
const char *db_clone_mode_name(enum db_clone_mode m);
int db_clone_mode_parse(const char *s, enum db_clone_mode *out);

#endif
