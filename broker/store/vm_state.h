/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_VM_STATE_H
#define DESKPOOL_BROKER_VM_STATE_H

/*
 * The VM state machine, as pure functions. The store (db_vm_set_state) enforces it; the
 * pool manager drives it. Each state is written *before* the action it names (a VM is
 * "starting" before QEMU is launched), so after a crash the state says what may be half
 * done and reconciliation can finish or undo it.
 *
 * provisioning  its row exists; its disk (overlay) is being created
 * stopped       disk exists, no QEMU process (an L2 spare, or a personal VM powered off)
 * starting      QEMU launched (cold boot or instant-clone restore), waiting for readiness
 * ready         running, guest ready, no user session: an L1 spare (pooled), or a
 *               personal VM waiting for its owner (vms.assigned_user_id set)
 * assigned      claimed for one user who is about to connect; credentials injected
 * in_use        that user's session is connected
 * disconnected  the connection ended; the user's guest session may still be there and is
 *               kept for the pool's disconnect timeout
 * refreshing    the disk is discarded and re-cloned (pooled logoff, reset, recompose)
 * stopping      being powered off
 * error         something failed; last_error says what. Needs a refresh, a restart of an
 *               intact disk, or deletion
 * deleting      QEMU and disk are being destroyed; the row goes when that is done
 *
 * The edges and why each exists are in vm_state.c (vm_transition_why).
 */
#include <stddef.h>

enum vm_state {
    VM_PROVISIONING,
    VM_STOPPED,
    VM_STARTING,
    VM_READY,
    VM_ASSIGNED,
    VM_IN_USE,
    VM_DISCONNECTED,
    VM_REFRESHING,
    VM_STOPPING,
    VM_ERROR,
    VM_DELETING,
    VM_STATE_COUNT
};

/* The state's name as stored and shown ("in_use"); "?" for a value out of range. */
const char *vm_state_name(enum vm_state s);

/* Parses a name as stored; returns 0, or -1 (out untouched) for anything else. */
int vm_state_parse(const char *name, enum vm_state *out);

/* 1 if a VM may go from `from` to `to` directly, else 0 (also for from == to and for values
 * out of range). */
int vm_transition_allowed(enum vm_state from, enum vm_state to);

/* Why the edge exists (one line, for docs, `--help` and audit details), or NULL if the
 * edge is not allowed. */
const char *vm_transition_why(enum vm_state from, enum vm_state to);

/*
 * Writes the states `from` may go to as "a, b or c" into out (for error messages that say
 * what would have been allowed). Returns out.
 */
char *vm_state_next_list(enum vm_state from, char *out, size_t cap);

/* 1 if a user's session may be on a VM in this state (assigned, in_use, disconnected). */
int vm_state_holds_user(enum vm_state s);

#endif
