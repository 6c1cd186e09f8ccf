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
    const char *db_path;     /* the broker's sqlite store */
    const char *state_dir;   /* hv state directory (VM folders, templates) */
    const char *key_path;    /* secretbox key file (for users' secrets), may be NULL here */
    struct hv *(*open_hv)(const char *state_dir, struct dp_err *err); /* hv_qemu_open or a fake */
    int tick_ms;             /* default 1000 */
    int workers;             /* default 2 */
    int ready_timeout_ms;    /* a VM not ready by then goes to error (default 180000) */
    int stop_timeout_ms;     /* graceful stop before forcing (default 30000) */
    int restraint_failures;  /* pause a pool after N provisioning failures ... (default 3) */
    int restraint_window_s;  /* ... within this many seconds (default 600) */
};

struct pool_mgr;

/* Opens the store, reconciles once, starts the threads. */
struct pool_mgr *pool_mgr_start(const struct pool_mgr_config *cfg, struct dp_err *err);
/* Stops the threads (waits for running jobs); VMs keep running. */
void pool_mgr_stop(struct pool_mgr *m);
/* Something changed (pool created or resized, VM deleted ...): evaluate now, not at the next tick. */
void pool_mgr_kick(struct pool_mgr *m);

enum pool_desktop_status { POOL_DESKTOP_READY, POOL_DESKTOP_STARTING };

struct pool_desktop {
    enum pool_desktop_status status;
    int64_t session_id;
    char vm[64];
    char host[64];      /* where to connect: "127.0.0.1" for user networking */
    int port;           /* RDP port on host */
    char username[64];  /* one-time credential set in the guest; never stored */
    char password[64];
    int retry_after_s;  /* STARTING: when to ask again */
};

/*
 * BLOCKING. The assignment: the user's live session in the pool (reconnect), else their
 * personal VM, else a ready spare (claimed atomically), else starts one and says STARTING.
 * Never two users on one VM; concurrent requests for one pool are serialised. On READY it
 * has set a fresh one-time password in the guest over QGA and started (or resumed) the
 * session. Errors: returns DB_EDENIED (-6) not entitled/disabled, DB_ENOTFOUND (-2) no such
 * user/pool, DB_ECONFLICT (-4) no capacity or paused; err says which and what to do.
 */
int pool_mgr_request_desktop(struct pool_mgr *m, int64_t user_id, int64_t pool_id,
                             const char *client_addr, struct pool_desktop *out,
                             struct dp_err *err);

/* Session events from the gateway (or an admin). LOGOFF ends the session: a pooled VM is
 * refreshed (its overlay discarded and re-cloned), a personal VM goes back to waiting. */
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
int pool_mgr_recompose(struct pool_mgr *m, int64_t pool_id, int version, int deadline_s,
                       struct dp_err *err);

#endif
