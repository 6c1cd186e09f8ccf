/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_POOL_MGR_H
#define DESKPOOL_POOL_MGR_H

/*
 * The pool manager: keeps every pool at its targets and hands out desktops. It is a library
 * linked into deskpoold. It runs its own thread (a tick every tick_ms: reconcile the store
 * with what QEMU really runs, apply spare targets, time out sessions, recompose, restraint)
 * and a few worker threads for the slow hypervisor work (provision, start, wait ready,
 * refresh, stop, destroy); each thread has its own sqlite handle on the same store.
 *
 * Every VM state change is written to the store (compare-and-set, one transaction) BEFORE
 * the hypervisor action it names, so a broker killed at any point can finish or undo it
 * when it starts again (reconciliation).
 *
 * Functions below are thread-safe. Those marked BLOCKING may take seconds (they talk to a
 * guest agent): call them from a worker thread, never from an event loop.
 */
#include <stdint.h>

struct dp_err;
struct hv;

struct pool_mgr_config {
    const char *db_path;   /* the broker's sqlite store */
    const char *state_dir; /* hv state directory (VM folders, templates) */
    const char *key_path;  /* secretbox key file (for users' secrets), may be NULL here */
    struct hv *(*open_hv)(const char *state_dir, struct dp_err *err); /* hv_qemu_open or a fake */
    int tick_ms;                                                      /* default 1000 */
    int workers;                                                      /* default 2 */
    int ready_timeout_ms;   /* a VM not ready by then goes to error (default 180000) */
    int stop_timeout_ms;    /* graceful stop before forcing (default 30000) */
    int restraint_failures; /* pause a pool after N provisioning failures ... (default 3) */
    int restraint_window_s; /* ... within this many seconds (default 600) */

    /* Added by the pool manager (all optional: 0/NULL takes the default). */
    struct hv *hv; /* an open driver to use instead of open_hv; not closed by stop */
    /* Readiness wait (default hv_wait_ready) and setting a guest account's password
     * (default: QGA guest-set-user-password on the VM's agent socket). Hooks, so unit tests
     * and benchmarks run on hv_fake without QEMU. */
    int (*wait_ready)(struct hv *hv, const char *vm, int timeout_ms, int need_rdp,
                      struct dp_err *err);
    int (*set_password)(struct hv *hv, const char *vm, const char *account, const char *password,
                        int timeout_ms, struct dp_err *err);
    /* The guest account the one-time password is set for. NULL: the user's own name (the
     * desktop then shows who is logged in and guest-get-users reports them by name; it suits
     * the tiny template, whose accounts exist only in its SAM file). A fixed name such as
     * "deskpool" suits Windows templates, where the account must already exist. */
    const char *guest_account;
    int port_min, port_max; /* host ports for RDP hostfwd (default 41000-42999) */
    int reconcile_ms;       /* store vs hypervisor comparison period (default 5000) */
    int claim_timeout_s;    /* an assigned VM whose user never connects is released (300) */
    int error_retry_s;      /* a VM in error is retried after this long (default 30; <0: at once) */
    int retry_after_s;      /* STARTING answers say "ask again in" this (default 1) */
    int qga_timeout_ms;     /* setting the one-time password (default 10000) */
    const char *meminfo_path; /* host memory check (default /proc/meminfo; "" = no check) */
    int mem_reserve_mb;       /* keep this much host memory free (default 256) */
    int accel;                /* enum hv_accel for new VMs (default HV_ACCEL_AUTO) */
    /* hv VMs whose name starts with this are not the pool manager's (instant-clone
     * parents): reconciliation never destroys them. Default "parent-" (hv/parent.c names them so).
     */
    const char *reserved_prefix;
    /* The user's guest session, asked over the VM's agent (guest_sessions.c). guest_user:
     * whether `account` is logged on in the guest, an enum pool_guest_user or -1 with err
     * when the agent cannot tell (default: QGA guest-get-users). guest_logoff: ends the
     * account's guest sessions; the count ended, POOL_GUEST_NO_COMMAND when the agent lacks
     * the command (older template), or -1 with err (default: QGA deskpool-logoff-user). */
    int (*guest_user)(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                      struct dp_err *err);
    int (*guest_logoff)(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                        struct dp_err *err);
    int guest_timeout_ms; /* deadline of one such question, retries included (default 5000) */
    /* The clock (unix seconds) for timeouts and the rows written; NULL: the real one. */
    int64_t (*now)(void *arg);
    void *now_arg;
};

/* What guest_user answers. */
enum pool_guest_user {
    POOL_GUEST_GONE,         /* not logged on: the session was logged off in the guest */
    POOL_GUEST_DISCONNECTED, /* logged on, no client attached: a reconnect re-attaches */
    POOL_GUEST_ACTIVE,       /* logged on with a client attached */
    POOL_GUEST_LOGGED_ON,    /* logged on; the agent does not say whether a client is attached */
};
#define POOL_GUEST_NO_COMMAND (-2)

/* The paused_reason that marks a pool being deleted (pool_mgr_pool_delete): a broker
 * restarted half-way sees it and finishes the deletion. */
#define POOL_MGR_DELETING_REASON "being deleted"

struct pool_mgr;

/* Opens the store, reconciles once, starts the threads. */
struct pool_mgr *pool_mgr_start(const struct pool_mgr_config *cfg, struct dp_err *err);
/* Stops the threads (waits for running jobs); VMs keep running. */
void pool_mgr_stop(struct pool_mgr *m);
/* Something changed (pool created or resized, VM deleted ...): evaluate now, not at the next tick.
 */
void pool_mgr_kick(struct pool_mgr *m);

enum pool_desktop_status { POOL_DESKTOP_READY, POOL_DESKTOP_STARTING };

struct pool_desktop {
    enum pool_desktop_status status;
    int64_t session_id;
    char vm[64];
    char host[64];     /* where to connect: "127.0.0.1" for user networking */
    int port;          /* RDP port on host */
    char username[64]; /* one-time credential set in the guest; never stored */
    char password[64];
    int retry_after_s; /* STARTING: when to ask again */
};

/*
 * BLOCKING. The assignment: the user's live session in the pool (reconnect), else their
 * personal VM, else a ready spare (claimed atomically), else starts one and says STARTING.
 * Never two users on one VM; concurrent requests for one pool are serialised. On READY it
 * has set a fresh one-time password in the guest over QGA and started (or resumed) the
 * session. Errors: returns DB_EDENIED (-6) not entitled/disabled, DB_ENOTFOUND (-2) no such
 * user/pool, DB_ECONFLICT (-4) no capacity or paused; err says which and what to do.
 *
 * Details as implemented: a new session is recorded at once (state connected, VM
 * assigned) and the VM goes to in_use when the gateway reports CONNECTED; an assigned VM
 * whose user never connects is released after claim_timeout_s. A reconnect to a
 * disconnected session answers READY with fresh credentials and leaves the session
 * disconnected until the gateway reports CONNECTED (so the disconnect timeout still runs
 * if the user never comes). A user who gets STARTING counts as waiting: the pool's L1
 * target grows by one per waiting user (for 3 * retry_after_s) so a VM is made for them.
 * Claiming a ready VM works in a paused pool; starting one does not. A guest job pending on
 * the VM it hands out (the previous session's logoff in the guest, the question after a
 * disconnect) runs first, for up to guest_timeout_ms + 1 s; a reconnect whose user the
 * guest then reports logged off gets a fresh desktop instead.
 */
int pool_mgr_request_desktop(struct pool_mgr *m, int64_t user_id, int64_t pool_id,
                             const char *client_addr, struct pool_desktop *out, struct dp_err *err);

/*
 * Session events from the gateway (or an admin); none waits on a guest. LOGOFF ends the
 * session: a pooled VM with refresh-on-logoff is refreshed (its overlay discarded and
 * re-cloned); a VM that keeps its disk goes back to waiting, and a worker ends the user's
 * guest session over the agent (deskpool-logoff-user) before anyone is handed that VM
 * again. DISCONNECTED keeps the VM for the pool's disconnect timeout, and a worker asks
 * the guest (guest-get-users) whether the user is still logged on: if not, the user logged
 * off inside the desktop, and the session is logged off at once (with refresh-on-logoff,
 * the VM is re-cloned); an agent that does not answer changes nothing. Both outcomes are in
 * the audit log (session.guest_check, session.guest_logoff).
 */
enum pool_session_event { POOL_SESSION_CONNECTED, POOL_SESSION_DISCONNECTED, POOL_SESSION_LOGOFF };
int pool_mgr_session_event(struct pool_mgr *m, int64_t session_id, enum pool_session_event ev,
                           int64_t bytes_in, int64_t bytes_out, struct dp_err *err);

/* Admin and self-service actions on one VM; they queue work and return at once. */
int pool_mgr_vm_start(struct pool_mgr *m, int64_t vm_id, struct dp_err *err);
int pool_mgr_vm_stop(struct pool_mgr *m, int64_t vm_id, struct dp_err *err);
/* Reset: logs the user off, discards the overlay, re-clones from the pool's current version. */
int pool_mgr_vm_reset(struct pool_mgr *m, int64_t vm_id, struct dp_err *err);
int pool_mgr_vm_delete(struct pool_mgr *m, int64_t vm_id, struct dp_err *err);
/* Deletes a pool: its VMs are destroyed by the workers, then the pool row. */
int pool_mgr_pool_delete(struct pool_mgr *m, int64_t pool_id, int force, struct dp_err *err);
/* Rolls a template version out: idle VMs now, in-use ones on logoff or at deadline_s. */
/* version 0: the template's latest; else the pool is pinned to that version. Stale VMs of a
 * pooled pool, and unowned ones of a personal pool, are rebuilt when idle; an owned personal
 * VM keeps its disk (users' data) until it is reset. deadline_s > 0: sessions still on stale
 * VMs after that many seconds are logged off (the deadline lives in memory: a broker
 * restart forgets it, and those VMs are then rebuilt on logoff). */
int pool_mgr_recompose(struct pool_mgr *m, int64_t pool_id, int version, int deadline_s,
                       struct dp_err *err);

/* Clears a restraint pause (and the failure history that caused it) and evaluates the
 * pool at once. A pool being deleted cannot be resumed (DB_ECONFLICT). */
int pool_mgr_pool_resume(struct pool_mgr *m, int64_t pool_id, struct dp_err *err);

/*
 * Waits until the pool manager is quiet: a whole tick found nothing to do and no job is
 * queued or running. 0 when quiet, -1 after timeout_ms. For tests, benchmarks and
 * `pool create --wait`; it is a poll, not a promise that nothing changes afterwards.
 */
int pool_mgr_settle(struct pool_mgr *m, int timeout_ms);

/*
 * Whether `vms` more VMs of memory_mb each fit in the host's available memory
 * (MemAvailable of meminfo_path, NULL = /proc/meminfo) keeping reserve_mb free. 0 if they
 * fit; -1 with err giving the numbers and what to do. For deskpoold's `pool create` check
 * and the pool manager's own check before it starts a VM.
 */
int pool_mgr_check_memory(const char *meminfo_path, int vms, int memory_mb, int reserve_mb,
                          struct dp_err *err);

#endif
