/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_VMS_H
#define DESKPOOL_BROKER_DB_VMS_H

/*
 * VMs and their state. Every state change is a compare-and-set (it names the state the
 * caller saw) on an allowed edge of vm_state.h, committed together with its audit event,
 * and is written *before* the action it names; so two actors can never both act on one VM,
 * and after a crash the row says what may be half done.
 *
 * assigned_user_id: for a personal pool the owner, kept for the VM's life (first claim
 * sets it); for a pooled pool the user holding it, cleared when the VM leaves assigned /
 * in_use / disconnected.
 */
#include "vm_state.h"

#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

struct db_vm {
    int64_t id;
    char name[64];
    int64_t pool_id;
    char pool_name[64];
    int64_t template_version_id;
    int template_version; /* its number, for display */
    enum vm_state state;
    int64_t assigned_user_id; /* 0: none */
    char assigned_user[64];   /* "" when none */
    int rdp_port;             /* host port forwarded to the guest's 3389; 0 = none yet */
    char host[64];            /* hypervisor host; "local" until there are several */
    char last_error[512];     /* why it went to error the last time */
    int64_t state_changed;
    int64_t created;
};

/*
 * Creates a VM row in state provisioning (before its disk exists, so a crash leaves a row to
 * clean up, never an orphan disk) from vm->name, vm->pool_id, vm->template_version_id and
 * optionally vm->host, vm->rdp_port. Fills the rest of *vm. DB_EEXISTS if the name is taken
 * (another connection may have got the same db_pool_next_vm_name: ask again). Audited.
 */
int db_vm_create(struct db *db, struct db_vm *vm, struct dp_err *err);

int db_vm_get(struct db *db, const char *name, struct db_vm *out, struct dp_err *err);
int db_vm_get_by_id(struct db *db, int64_t id, struct db_vm *out, struct dp_err *err);

/* VMs by name, malloc'd (free() it). pool_id 0: all pools; state -1: all states. */
int db_vm_list(struct db *db, int64_t pool_id, int state, struct db_vm **out, size_t *n,
               struct dp_err *err);

/*
 * Moves VM vm_id from `from` to `to` if and only if it is in `from` now and the edge is
 * allowed (vm_transition_allowed); writes a "vm.state" audit event with `reason` (may be
 * NULL) in the same transaction. Going to error also stores `reason` as last_error.
 * DB_EINVAL: illegal edge, or `to` is assigned (only db_vm_claim assigns). DB_ECONFLICT:
 * the VM is no longer in `from` (someone else moved it): re-read and decide again.
 * DB_ENOTFOUND: no such VM.
 */
int db_vm_set_state(struct db *db, int64_t vm_id, enum vm_state from, enum vm_state to,
                    const char *reason, struct dp_err *err);

/*
 * Atomically claims a ready VM of pool `pool_id` for user `user_id` (ready -> assigned),
 * in one IMMEDIATE transaction, so two concurrent claims (even from two processes) never
 * get the same VM. Personal pool: the user's own VM if they have one (only if it is ready),
 * else an unowned ready VM, which becomes theirs for good. Pooled: the VM that has been
 * ready longest. DB_ENOTFOUND when there is none to claim: the caller starts one (or, for
 * a personal user, starts theirs: see db_vm_personal). Does not check entitlement.
 */
int db_vm_claim(struct db *db, int64_t pool_id, int64_t user_id, struct db_vm *out,
                struct dp_err *err);

/* The personal VM user `user_id` owns in pool `pool_id`, in any state; DB_ENOTFOUND if
 * they have none yet. */
int db_vm_personal(struct db *db, int64_t pool_id, int64_t user_id, struct db_vm *out,
                   struct dp_err *err);

/* Records the host port forwarded to the guest's RDP port (set when QEMU is launched). */
int db_vm_set_rdp_port(struct db *db, int64_t vm_id, int port, struct dp_err *err);

/* Points the VM at another template version (recompose). Only while its disk is being
 * made: provisioning or refreshing; else DB_ECONFLICT. */
int db_vm_set_template_version(struct db *db, int64_t vm_id, int64_t template_version_id,
                               struct dp_err *err);

/* Removes the row of a VM whose QEMU process and disk are gone. Only in state deleting and
 * with no live session (DB_ECONFLICT otherwise). Audited. */
int db_vm_delete(struct db *db, int64_t vm_id, struct dp_err *err);

#endif
