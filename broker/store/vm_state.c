/* SPDX-License-Identifier: Apache-2.0 */
/* The VM state machine: names and the table of allowed edges, each with its reason. */
#include "vm_state.h"

#include <stdio.h>
#include <string.h>

static const char *const names[VM_STATE_COUNT] = {
    [VM_PROVISIONING] = "provisioning", [VM_STOPPED] = "stopped",
    [VM_STARTING] = "starting",         [VM_READY] = "ready",
    [VM_ASSIGNED] = "assigned",         [VM_IN_USE] = "in_use",
    [VM_DISCONNECTED] = "disconnected", [VM_REFRESHING] = "refreshing",
    [VM_STOPPING] = "stopping",         [VM_ERROR] = "error",
    [VM_DELETING] = "deleting",
};

/*
 * Every edge but the two families at the bottom of vm_transition_why. What is *not* here,
 * on purpose:
 * - in_use -> ready: the broker only knows the RDP connection is up; a VM goes back to
 *   ready only after the user's guest session is gone, which is learnt in "disconnected"
 *   (every session end passes there: the gateway reports it). Otherwise the next claim
 *   could hand one user's open desktop to another.
 * - in_use/disconnected -> stopped or stopping: powering off under a user's session loses
 *   their work silently; end the session first (logoff), then stop.
 * - ready -> in_use: a session always starts from a claim (assigned), which is what makes
 *   "never two users on one VM" a compare-and-set.
 * - refreshing -> ready: a new disk must be started (starting) and proven ready.
 * - deleting -> anything but error: deletion is not undone; if it fails the VM shows
 *   error and the admin retries the delete.
 */
static const struct edge {
    enum vm_state from, to;
    const char *why;
} edges[] = {
    {VM_PROVISIONING, VM_STOPPED,
     "disk created, left powered off (boot-mode clone, or an L2 spare)"},
    {VM_PROVISIONING, VM_STARTING,
     "disk created and QEMU launched at once (instant clone from the template's saved state)"},
    {VM_STOPPED, VM_STARTING,
     "power on: to fill the L1 spare target, or for a personal VM's owner"},
    {VM_STOPPED, VM_REFRESHING, "recompose or reset of a powered-off VM: replace its disk"},
    {VM_STARTING, VM_READY, "the guest answers the agent's ping and an RDP X.224 request"},
    {VM_STARTING, VM_STOPPING, "power policy or an admin stops a VM before it became ready"},
    {VM_READY, VM_ASSIGNED, "claimed for one user who is about to connect (db_vm_claim)"},
    {VM_READY, VM_STOPPING, "demote an L1 spare to L2 (spare-stopped), power policy, admin stop"},
    {VM_READY, VM_REFRESHING,
     "recompose to a new template version, or a reset of an idle VM (admin or owner)"},
    {VM_STOPPING, VM_STOPPED, "QEMU exited"},
    {VM_ASSIGNED, VM_IN_USE, "the gateway reports the user's session connected"},
    {VM_ASSIGNED, VM_READY,
     "the user never connected before the claim expired: nobody logged on, so the VM is as it "
     "was (the next claim replaces the one-time credentials)"},
    {VM_IN_USE, VM_DISCONNECTED,
     "the connection ended (client closed, network lost, or logoff: the guest says which)"},
    {VM_IN_USE, VM_REFRESHING,
     "forced logoff of a VM whose disk is discarded anyway (pooled: admin logoff, max-session, "
     "user reset, recompose deadline)"},
    {VM_DISCONNECTED, VM_IN_USE, "the user reconnected within the pool's disconnect timeout"},
    {VM_DISCONNECTED, VM_REFRESHING,
     "logoff (the guest reports the user gone, or the disconnect timeout passed) in a pool that "
     "refreshes on logoff"},
    {VM_DISCONNECTED, VM_READY,
     "logoff confirmed by the guest on a VM that keeps its disk: a personal VM (ready again for "
     "its owner) or a pool with refresh-on-logoff off"},
    {VM_REFRESHING, VM_STOPPED, "new disk in place, left powered off (boot-mode, or an L2 spare)"},
    {VM_REFRESHING, VM_STARTING, "new disk in place and started (instant clone, or an L1 spare)"},
    {VM_ERROR, VM_REFRESHING, "retry with a fresh disk (admin, or the pool's restraint timer)"},
    {VM_ERROR, VM_STOPPED,
     "the process is gone but the disk is intact: recover without losing a personal VM's data"},
};

const char *vm_state_name(enum vm_state s)
{
    return (unsigned)s < VM_STATE_COUNT ? names[s] : "?";
}

int vm_state_parse(const char *name, enum vm_state *out)
{
    for (int i = 0; name && i < VM_STATE_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum vm_state)i;
            return 0;
        }
    }
    return -1;
}

const char *vm_transition_why(enum vm_state from, enum vm_state to)
{
    if ((unsigned)from >= VM_STATE_COUNT || (unsigned)to >= VM_STATE_COUNT || from == to)
        return NULL;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        if (edges[i].from == from && edges[i].to == to)
            return edges[i].why;
    /* Two families every state has: failing, and being deleted (error -> deleting too). */
    if (to == VM_ERROR)
        return "a step failed, or reconciliation found QEMU gone or not answering";
    if (to == VM_DELETING)
        return "admin delete, pool shrink or removal; the session on it, if any, is ended first";
    return NULL;
}

int vm_transition_allowed(enum vm_state from, enum vm_state to)
{
    return vm_transition_why(from, to) != NULL;
}

char *vm_state_next_list(enum vm_state from, char *out, size_t cap)
{
    size_t n = 0, total = 0, seen = 0;
    for (int to = 0; to < VM_STATE_COUNT; to++)
        total += vm_transition_allowed(from, (enum vm_state)to);
    if (cap)
        out[0] = '\0';
    for (int to = 0; to < VM_STATE_COUNT && cap; to++) {
        if (!vm_transition_allowed(from, (enum vm_state)to))
            continue;
        seen++;
        const char *sep = seen == 1 ? "" : seen == total ? " or " : ", ";
        int w = snprintf(out + n, cap - n, "%s%s", sep, names[to]);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    return out;
}

int vm_state_holds_user(enum vm_state s)
{
    return s == VM_ASSIGNED || s == VM_IN_USE || s == VM_DISCONNECTED;
}
