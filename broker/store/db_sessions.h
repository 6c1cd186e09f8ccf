/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_SESSIONS_H
#define DESKPOOL_BROKER_DB_SESSIONS_H

/*
 * User sessions on VMs, as the gateway reports them: connected, disconnected (the user's
 * desktop is kept for the pool's disconnect timeout), ended. Partial unique indexes make
 * it impossible to have two live sessions on one VM or two live sessions of one user in one
 * pool, whatever the caller does. The VM's state is the pool manager's to change alongside
 * (db_vm_set_state), in the same db_begin/db_commit if it wants both or neither.
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct dp_err;

enum db_session_state {
    DB_SESSION_CONNECTED,
    DB_SESSION_DISCONNECTED,
    DB_SESSION_ENDED,
};

struct db_session {
    int64_t id;
    int64_t user_id;
    char user[64];
    int64_t vm_id; /* 0 once the VM row is gone (history) */
    char vm[64];
    int64_t pool_id;
    char pool[64];
    enum db_session_state state;
    int64_t started;
    int64_t last_seen;       /* last activity the gateway reported */
    int64_t disconnected_at; /* 0 unless disconnected */
    int64_t ended_at;        /* 0 unless ended */
    int64_t bytes_in;        /* client -> VM, totals */
    int64_t bytes_out;       /* VM -> client */
    char client_addr[64];
};

enum db_timeout_reason {
    DB_TIMEOUT_DISCONNECTED, /* disconnected longer than the pool's disconnect timeout */
    DB_TIMEOUT_IDLE,         /* connected without activity longer than the idle timeout */
    DB_TIMEOUT_MAX_SESSION,  /* live longer than the pool's max session time */
};

struct db_session_timeout {
    struct db_session session;
    enum db_timeout_reason reason;
};

const char *db_session_state_name(enum db_session_state s);
const char *db_timeout_reason_name(enum db_timeout_reason r);

/*
 * Records a new connected session of user on vm (in pool). DB_ECONFLICT, naming the other
 * session, if the VM already has a live session or the user has one in that pool (the
 * caller should have reconnected it: db_session_live). Audited.
 */
int db_session_start(struct db *db, int64_t user_id, int64_t vm_id, int64_t pool_id,
                     const char *client_addr, struct db_session *out, struct dp_err *err);

int db_session_get(struct db *db, int64_t id, struct db_session *out, struct dp_err *err);

/* The user's live (connected or disconnected) session in a pool; DB_ENOTFOUND if none. */
int db_session_live(struct db *db, int64_t user_id, int64_t pool_id, struct db_session *out,
                    struct dp_err *err);

/* The live session on a VM; DB_ENOTFOUND if none. */
int db_session_on_vm(struct db *db, int64_t vm_id, struct db_session *out, struct dp_err *err);

/* connected -> disconnected (stamps disconnected_at); DB_ECONFLICT if not connected. */
int db_session_disconnect(struct db *db, int64_t id, struct dp_err *err);

/* disconnected -> connected from client_addr (may be NULL: unchanged); DB_ECONFLICT if not
 * disconnected. */
int db_session_reconnect(struct db *db, int64_t id, const char *client_addr, struct dp_err *err);

/* Records activity: last_seen = now and the byte totals (never decreasing). Live only. */
int db_session_touch(struct db *db, int64_t id, int64_t bytes_in, int64_t bytes_out,
                     struct dp_err *err);

/* Ends a live session (logoff, timeout, admin) with a reason for the audit log; ending an
 * ended session is DB_ECONFLICT. */
int db_session_end(struct db *db, int64_t id, const char *reason, struct dp_err *err);

/* Sessions by start time, newest first: of one pool (pool_id != 0) or all, only live ones
 * if live_only; malloc'd (free() it). */
int db_session_list(struct db *db, int64_t pool_id, int live_only, struct db_session **out,
                    size_t *n, struct dp_err *err);

/* Live sessions past one of their pool's timeouts at `now`, each with the reason (the
 * disconnect timeout first, then max session, then idle); malloc'd (free() it). */
int db_sessions_timed_out(struct db *db, int64_t now, struct db_session_timeout **out, size_t *n,
                          struct dp_err *err);

#endif
