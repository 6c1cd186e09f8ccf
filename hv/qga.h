/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_QGA_H
#define DESKPOOL_HV_QGA_H

/*
 * QEMU guest agent (QGA) client, on a libevent loop, over the unix socket QEMU serves for
 * the VM's virtio-serial port org.qemu.guest_agent.0.
 *
 * Connecting proves only that QEMU runs: the agent in the guest may not have started, and
 * the pipe may hold leftovers of an earlier client. So before the first command, and
 * again after any command that timed out or expects no reply, the client resynchronises:
 * it writes a 0xFF byte (which resets the agent's JSON parser) and guest-sync-delimited
 * with a fresh random id, then discards everything until the reply carrying that id.
 * Commands run one at a time, in order, each with a deadline counted from qga_execute()
 * (queueing and the resync included). Commands carry an id too, and a reply with another
 * id is dropped.
 *
 * The process ignores SIGPIPE from the first qga_open() on (see jsonchan.h).
 */
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct dp_err;
struct qga_client;

/*
 * A command's outcome, exactly once, never from inside the call that queued it: ret is
 * the "return" value (borrowed) and error NULL, or ret NULL and error says what failed
 * (the agent's error reply, no answer in time, QEMU closed the socket, qga_close()).
 * For qga_shutdown() success is ret == NULL and error == NULL.
 */
typedef void (*qga_reply_fn)(struct qga_client *c, json_t *ret, const char *error, void *arg);

/*
 * Connects to the QGA socket. Nothing is sent until the first command. Returns NULL with
 * err set if the socket cannot be reached (no socket, refused, path too long).
 */
struct qga_client *qga_open(struct event_base *base, const char *sock_path, struct dp_err *err);

/*
 * Queues `cmd` with `args` (object or NULL; stolen even on failure). reply_cb runs within
 * timeout_ms (> 0). Returns 0, or -1 with err set (connection lost, bad arguments), in
 * which case reply_cb is not called.
 */
int qga_execute(struct qga_client *c, const char *cmd, json_t *args, int timeout_ms,
                qga_reply_fn reply_cb, void *arg, struct dp_err *err);

/*
 * guest-shutdown ("powerdown", "halt" or "reboot"; NULL = powerdown). The agent sends no
 * reply when it works, so reply_cb (may be NULL) reports only that the command reached a
 * synchronised agent and was written to the socket; the shutdown itself shows as QMP's
 * SHUTDOWN event or QEMU's exit. Same return contract as qga_execute().
 */
int qga_shutdown(struct qga_client *c, const char *mode, int timeout_ms, qga_reply_fn reply_cb,
                 void *arg, struct dp_err *err);

/*
 * Closes the socket and frees the client (deferred if called from one of its callbacks).
 * Queued commands' callbacks run at once with a "closed" error; none runs after it returns.
 */
void qga_close(struct qga_client *c);

/*
 * Synchronous: connect, resync, one command, close; at most timeout_ms. Returns the
 * "return" value (caller decrefs) or NULL with err set. args is stolen. For
 * "guest-shutdown" it returns JSON null once the command was written (no reply exists).
 */
json_t *qga_call(const char *sock_path, const char *cmd, json_t *args, int timeout_ms,
                 struct dp_err *err);

/*
 * Argument builders for the commands the broker uses (the others take none:
 * guest-ping, guest-info, guest-get-users, guest-network-get-interfaces).
 * They return a new object, or NULL on bad input or no memory.
 */
/* guest-set-user-password: base64-encodes the password; the plain text is not kept. */
json_t *qga_args_set_user_password(const char *user, const char *password);
/* guest-set-time: ns since the epoch; ns < 0 means "set from the VM's hardware clock". */
json_t *qga_args_set_time(int64_t ns);
/* deskpool-set-host-name, our extension implemented by deskpool-guestd. */
json_t *qga_args_set_host_name(const char *host_name);

/* deskpool-logoff-user, our extension implemented by deskpool-guestd: ends every guest
 * session of that user, connected or not. */
json_t *qga_args_logoff_user(const char *user);

/* Whether a guest session has a client connected, as deskpool-guestd reports it in the
 * "deskpool-state" member of guest-get-users; other agents leave it out (UNKNOWN). */
enum qga_user_state { QGA_USER_UNKNOWN, QGA_USER_ACTIVE, QGA_USER_DISCONNECTED };

/* One logged-on user in a guest-get-users reply. */
struct qga_user {
    char user[64];
    char domain[64];
    double login_time;  /* "login-time", seconds since the epoch */
    int64_t session_id; /* "deskpool-session-id"; 0 if absent */
    enum qga_user_state state;
};

/*
 * Looks `user` up in a guest-get-users reply, ignoring case (Windows names are
 * case-insensitive; a false match only keeps a desktop longer). Returns 1 and fills out
 * (may be NULL) if the user is logged on: with several sessions, a disconnected one is
 * preferred, as that is the one a reconnect re-attaches to. 0 if not logged on, -1 if the
 * reply is not an array.
 */
int qga_users_find(const json_t *users, const char *user, struct qga_user *out);

/* The "ended" count of a deskpool-logoff-user reply, or -1 if it has none. */
int qga_logoff_ended(const json_t *ret);

/* 1 if an error from qga_call or a reply callback says the agent does not know the command
 * (class CommandNotFound: an older guest agent), else 0. */
int qga_error_is_unknown_command(const char *error);

/*
 * From a guest-network-get-interfaces reply, the first IPv4 address that is not loopback
 * (127/8) or link-local (169.254/16). Returns 0 and fills out, or -1 if there is none.
 */
int qga_first_ipv4(const json_t *ifaces, char *out, size_t n);

#endif
