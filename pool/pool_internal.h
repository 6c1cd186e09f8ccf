/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_POOL_INTERNAL_H
#define DESKPOOL_POOL_INTERNAL_H

/*
 * What the pool manager's files share (the one header declaring its structs, relayd-style).
 * Callers outside pool/ see only pool_mgr.h.
 *
 * Threads: one tick thread (pool_mgr.c), cfg.workers job workers (jobs.c), and the callers
 * of pool_mgr_request_desktop / _session_event / admin actions. Each has its own sqlite
 * connection (callers borrow one from a small cache). Locks, always taken in this order:
 *   pool_rt.lock (one per pool: serialises every decision that creates, claims or starts
 *   VMs of that pool) -> jobs.mu / rt_mu / ports.mu / db_mu (leaf locks, held briefly).
 * Jobs run one at a time per VM, so two workers never drive one VM; the store's
 * compare-and-set settles races between a job and a request or the tick.
 */
#include "pool_mgr.h"

#include "hv.h"
#include "store/broker_store.h"

#include <pthread.h>
#include <stdint.h>

struct hv;

/* ---- per-pool runtime state (memory only; the store holds everything durable) ---- */

#define RESTRAINT_MAX 64

struct pool_waiter {
    int64_t user_id;
    uint64_t until_ms; /* monotonic */
};

struct pool_rt {
    int64_t pool_id;
    pthread_mutex_t lock;
    int64_t failures[RESTRAINT_MAX]; /* unix seconds of recent provisioning failures */
    int nfail;
    int was_paused;
    struct pool_waiter *waiters;
    size_t nwait, capwait;
    int64_t recompose_deadline; /* unix seconds; 0: none */
    int instant_logged;         /* the "instant clones fall back to boot" line was logged */
    uint64_t mem_logged_ms;     /* last "not enough memory" line, to keep the log readable */
    struct pool_rt *next;
};

/* ---- jobs (jobs.c) ---- */

enum job_kind {
    JOB_PROVISION, /* provisioning: define the disk, then start or leave stopped */
    JOB_START,     /* starting: launch QEMU if it does not run, wait until ready */
    JOB_STOP,      /* stopping: power off, then stopped */
    JOB_REFRESH,   /* refreshing: new disk on the pool's current version, then start or not */
    JOB_DESTROY,   /* deleting: destroy QEMU and disk, then the row */
    /* Guest sessions (guest_sessions.c); the VM's state does not change for them, so they
     * carry what they are about. A broker killed before they ran loses them: a disconnected
     * session then waits for its timeout, a forced logoff leaves the guest session. */
    JOB_GUEST_CHECK,  /* disconnected session: is its user still logged on in the guest? */
    JOB_GUEST_LOGOFF, /* session ended on a VM that keeps its disk: end it in the guest too */
};

struct job {
    enum job_kind kind;
    int64_t vm_id;
    int64_t session_id; /* guest jobs: the session they are about */
    char account[64];   /* guest jobs: the guest account of that session */
    struct job *next;
};

#define JOBS_INLINE_MAX 16

struct job_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a job was queued, or stopping */
    pthread_cond_t idle_cv; /* a job finished */
    struct job *head, *tail;
    int64_t *running; /* vm id each worker runs, 0 = none */
    enum job_kind *running_kind;
    int64_t inline_vm[JOBS_INLINE_MAX]; /* jobs_run_now callers running a job, 0 = none */
    enum job_kind inline_kind[JOBS_INLINE_MAX];
    int nworkers;
    int stopping;
};

/* ---- the manager ---- */

struct pool_mgr {
    struct pool_mgr_config cfg; /* with defaults filled; strings point into the caller's */
    struct hv *hv;
    int own_hv;

    pthread_t tick_thread;
    int have_tick;
    pthread_t *workers;
    pthread_mutex_t mu;     /* kicked, stopping, tick counters */
    pthread_cond_t kick_cv; /* wakes the tick thread */
    pthread_cond_t tick_cv; /* a tick finished */
    int kicked, stopping;
    uint64_t ticks_started, ticks_done;
    uint64_t quiet_tick; /* the last tick that started with no job and did nothing */
    uint64_t next_reconcile_ms;

    pthread_mutex_t db_mu; /* the connection cache */
    pthread_cond_t db_cv;  /* a borrowed connection came back */
    struct db *idle_db[16];
    int nidle_db;
    int lent_db; /* connections borrowed by callers of the API, at most POOL_DB_LEND_MAX */

    pthread_mutex_t rt_mu; /* the pool_rt list */
    struct pool_rt *rts;

    pthread_mutex_t port_mu;   /* ports handed out by this manager */
    unsigned char *ports_used; /* one byte per port of [port_min, port_max] */

    struct job_queue jobs;
};

/* pool_mgr.c */
/* Connections for the API's callers are few and reused: a thousand threads each opening
 * their own would spend their time in sqlite's busy-wait sleeps on the write lock (its
 * backoff sleeps up to 100 ms), where waiting here for a free one is a mutex hand-over. */
#define POOL_DB_LEND_MAX 8
/* Borrows a connection (waits while POOL_DB_LEND_MAX are out); pm_db_put returns it. The
 * tick thread and the workers hold their own for their whole life (pm_db_own). */
struct db *pm_db_get(struct pool_mgr *m, struct dp_err *err);
void pm_db_put(struct pool_mgr *m, struct db *db);
struct db *pm_db_own(struct pool_mgr *m, struct dp_err *err);
void pm_db_disown(struct pool_mgr *m, struct db *db);
/* Pins db's clock to the manager's (a no-op with the real clock). */
void pm_db_clock(struct pool_mgr *m, struct db *db);
int64_t pm_now(struct pool_mgr *m);
struct pool_rt *pm_rt(struct pool_mgr *m, int64_t pool_id);

/* jobs.c */
int jobs_init(struct pool_mgr *m, int nworkers, struct dp_err *err);
int jobs_start_workers(struct pool_mgr *m, struct dp_err *err);
void jobs_stop(struct pool_mgr *m);
/* Queues a job unless the same job for the same VM is already queued. Never fails. */
void jobs_push(struct pool_mgr *m, enum job_kind kind, int64_t vm_id);
/* A guest job (JOB_GUEST_*) about session_id and its guest account; a queued one of the
 * same kind for the same VM takes the newer session instead. Never fails. */
void jobs_push_guest(struct pool_mgr *m, enum job_kind kind, int64_t vm_id, int64_t session_id,
                     const char *account);
/*
 * Runs a queued job of `kind` for vm_id now, on the caller's thread and db (taken off the
 * queue), or waits until one a worker runs is over; at most until the monotonic deadline.
 * Returns 1 if such a job ran or was waited for, 0 if there was none. So a desktop request
 * never overtakes a guest job (a forced logoff, a disconnect check) of the VM it hands out.
 */
int jobs_run_now(struct pool_mgr *m, struct db *db, enum job_kind kind, int64_t vm_id,
                 uint64_t deadline_ms);
/* 1 if VM vm_id has a job queued or running. */
int jobs_busy(struct pool_mgr *m, int64_t vm_id);
int jobs_idle(struct pool_mgr *m);
/* Waits until no job is queued or running, or until the monotonic deadline; 0 if idle. */
int jobs_wait_idle(struct pool_mgr *m, uint64_t deadline_ms);

/* provision.c: the jobs' bodies; each re-reads the VM and does nothing if its state is not
 * the one the job is for (someone else moved it). */
void job_provision(struct pool_mgr *m, struct db *db, int64_t vm_id);
void job_start(struct pool_mgr *m, struct db *db, int64_t vm_id);
void job_stop(struct pool_mgr *m, struct db *db, int64_t vm_id);
void job_destroy(struct pool_mgr *m, struct db *db, int64_t vm_id);
/* Marks vm error (compare-and-set from `from`), powers it off, counts the failure for the
 * pool's restraint if it happened while making or starting the VM. */
void vm_fail(struct pool_mgr *m, struct db *db, const struct db_vm *vm, enum vm_state from,
             const char *reason);
/* Launches VM vm (state starting) if it does not run and waits until ready -> ready. */
void vm_boot(struct pool_mgr *m, struct db *db, struct db_vm *vm);
/* A VM whose disk was just made (from provisioning or refreshing): started and waited for
 * if the pool needs it running, else stopped. */
void vm_disk_made(struct pool_mgr *m, struct db *db, struct db_vm *vm, enum vm_state from);
/* The version new disks of pool p get: its pinned version, else the template's latest. */
int pool_current_version(struct db *db, const struct db_pool *p, struct db_template_version *out,
                         struct dp_err *err);
/* Fills spec for VM vm of pool p on template version tv. */
void vm_spec_fill(const struct pool_mgr *m, const struct db_pool *p,
                  const struct db_template_version *tv, const struct db_vm *vm,
                  struct hv_vm_spec *spec);

/* refresh.c */
void job_refresh(struct pool_mgr *m, struct db *db, int64_t vm_id);
/*
 * Ends live session s and moves its VM on: pooled with refresh (or a stale version) ->
 * refreshing and a refresh job; else back to ready, and, if the VM held the session
 * (assigned, in use, disconnected), a JOB_GUEST_LOGOFF ends the user's guest session (the
 * disk is kept, so it would otherwise live on). Session end and VM state commit together.
 * Never waits on a guest. Returns 0 or a DB_E* code.
 */
int pool_logoff(struct pool_mgr *m, struct db *db, const struct db_session *s, const char *reason,
                struct dp_err *err);

/* pool_logoff for a session whose user the guest reports gone: the same, except that no
 * guest logoff is queued (there is nothing left to end in the guest). */
int pool_logoff_guest_gone(struct pool_mgr *m, struct db *db, const struct db_session *s,
                           const char *reason, struct dp_err *err);

/* guest_sessions.c */
/* The guest account of session s on this manager's VMs (cfg.guest_account or the user). */
const char *guest_account(const struct pool_mgr *m, const struct db_session *s);
/* The configured hooks, or the QGA defaults. */
int guest_timeout_ms(const struct pool_mgr *m);
void job_guest_check(struct pool_mgr *m, struct db *db, const struct job *j);
void job_guest_logoff(struct pool_mgr *m, struct db *db, const struct job *j);
/* The default hooks: guest-get-users and deskpool-logoff-user over the VM's QGA socket. */
int guest_user_qga(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                   struct dp_err *err);
int guest_logoff_qga(struct hv *hv, const char *vm, const char *account, int timeout_ms,
                     struct dp_err *err);

/* sizing.c */
struct sizing_in {
    const struct db_pool *pool;
    const struct db_vm *vms;
    size_t n;
    int64_t current_version_id;
    int waiters; /* users told STARTING lately: each adds one to the L1 target */
    int64_t now; /* unix seconds */
    int error_retry_s;
    int deleting; /* the pool is being deleted: every VM goes */
};

enum sizing_act {
    ACT_START,   /* stopped -> starting */
    ACT_STOP,    /* ready -> stopping (demote an L1 spare to L2) */
    ACT_REFRESH, /* ready/stopped/error -> refreshing (stale version, or retry of an error) */
    ACT_RECOVER, /* error -> stopped: a personal VM's disk is kept */
    ACT_DELETE,  /* -> deleting (shrink, or pool deletion) */
};

struct sizing_action {
    enum sizing_act act;
    size_t vm; /* index into sizing_in.vms */
};

struct sizing_plan {
    struct sizing_action *acts;
    size_t n;
    int provision; /* new VMs to create */
};

/* Pure: what to do to bring a pool to its targets. Free plan->acts. */
int sizing_plan(const struct sizing_in *in, struct sizing_plan *plan);
/* Applies the plan for pool p (caller holds its pool_rt lock). Returns actions taken. */
int sizing_apply_pool(struct pool_mgr *m, struct db *db, const struct db_pool *p,
                      struct pool_rt *rt);
/* Tries a VM in error again: an owned personal VM is powered off with its disk (its owner's
 * data), any other is re-cloned from a fresh disk (why: the audited reason). Used by the plan
 * after the error pause and by reconciliation for a desktop that served and then died. */
int sizing_retry_error_vm(struct pool_mgr *m, struct db *db, const struct db_pool *p,
                          const struct db_vm *vm, const char *why, struct dp_err *err);
/* 1 if a VM of pool p that just got its disk should be started (L1 short, or owned). */
int sizing_wants_running(struct pool_mgr *m, struct db *db, const struct db_vm *vm);
/* Creates one VM row (provisioning) with a free name and port, and queues its job. */
int sizing_new_vm(struct pool_mgr *m, struct db *db, const struct db_pool *p, struct db_vm *out,
                  struct dp_err *err);
/* Waiting users of rt, expired ones dropped (caller holds rt->lock). */
int sizing_waiters(struct pool_rt *rt);
void sizing_add_waiter(struct pool_mgr *m, struct pool_rt *rt, int64_t user_id);
void sizing_drop_waiter(struct pool_rt *rt, int64_t user_id);

/* ports.c */
int ports_init(struct pool_mgr *m, struct db *db, struct dp_err *err);
/* A free host port from the range, marked used; -1 with err if the range is exhausted. */
int ports_take(struct pool_mgr *m, struct dp_err *err);
void ports_release(struct pool_mgr *m, int port);

/* clone-mode instant (instant_pool.c). capable: the driver can restore parents (QEMU). */
int pool_instant_capable(const struct pool_mgr *m);
/* Defines spec as an instant clone of tv's parent (built on first use), else as a VM that
 * boots (reason logged). Blocking: the first call per version builds the parent. */
int pool_instant_define(struct pool_mgr *m, const struct db_pool *p,
                        const struct db_template_version *tv, const struct hv_vm_spec *spec,
                        struct dp_err *err);
/* Starts a VM defined by pool_instant_define (restore, or boot), personalises it and waits
 * until ready. Returns the ms to ready, or -1. */
int pool_instant_start(struct pool_mgr *m, const char *name, int timeout_ms, struct dp_err *err);
/* 1 if nothing listens on 127.0.0.1:port right now. */
int ports_bindable(int port);

/* reconcile.c: compares the store with what the hypervisor runs and repairs. Returns the
 * number of repairs. */
int reconcile(struct pool_mgr *m, struct db *db);

/* timeouts.c: logs off timed-out sessions and expired claims, applies recompose deadlines.
 * Returns the number of logoffs. */
int timeouts_run(struct pool_mgr *m, struct db *db);

/* restraint.c */
/* Records a provisioning failure of pool_id; pauses the pool at the threshold. */
void restraint_failed(struct pool_mgr *m, struct db *db, int64_t pool_id, const char *reason);
/* Called each tick with the pool's paused flag: a resume done elsewhere clears history. */
void restraint_observe(struct pool_rt *rt, int paused);
/* Each tick, per pool: lifts a "disk full:" pause once the VM folder has room again (the
 * pool is changed in place too). 1 if it did. */
int restraint_tick(struct pool_mgr *m, struct db *db, struct db_pool *p);
/* Whether a failure reason is the disk (or the store's disk) being full. */
int restraint_is_disk_full(const char *reason);
/* Free bytes a disk-full pause waits for on a file system of fs_size bytes. */
uint64_t restraint_room_needed(uint64_t fs_size);
void restraint_clear(struct pool_rt *rt);

/* credentials.c */
/* A random one-time password of len - 1 characters (letters and digits). */
int cred_make_password(char *out, size_t len, struct dp_err *err);
/* The default set_password hook: QGA guest-set-user-password on the VM's agent. */
int cred_set_password_qga(struct hv *hv, const char *vm, const char *account, const char *password,
                          int timeout_ms, struct dp_err *err);

/* admin.c: ends the VM's session (if any) and moves it to deleting, then queues its
 * destruction. Returns 0 or a DB_E* code (a lost compare-and-set is DB_ECONFLICT). */
int vm_delete_now(struct pool_mgr *m, struct db *db, const struct db_vm *vm, const char *reason,
                  struct dp_err *err);

/* 1 if pool p is being deleted (its paused_reason says so). */
int pool_is_deleting(const struct db_pool *p);

#endif
