/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_QMP_H
#define DESKPOOL_HV_QMP_H

/*
 * QMP client: talks to one QEMU process over its QMP unix socket, on a libevent loop.
 *
 *   qmp_open()     connect; reads the greeting and sends qmp_capabilities for you
 *   status_cb      "ready" (error NULL) once, then an error if the connection is lost
 *   qmp_execute()  a command with an id and its own timeout; replies are matched by id
 *   event_cb       asynchronous events (SHUTDOWN, POWERDOWN, STOP, RESUME, RESET, ...)
 *   qmp_close()    ends it; safe from inside any callback
 *   qmp_call()     the synchronous version for CLIs and tests: one command, one reply
 *
 * QEMU serves one QMP client per socket at a time; a second one waits silently in the
 * listen queue, which shows up here as "no greeting". Callbacks run on the loop's thread.
 * The process ignores SIGPIPE from the first qmp_open() on (see jsonchan.h).
 */
#include <jansson.h>

struct event_base;
struct dp_err;
struct qmp_client;

/*
 * Called with error == NULL once the handshake is done; or with an error if it fails
 * (no greeting in time, not a QMP socket, EOF); or, after ready, once with an error when
 * QEMU closes the socket or sends something that is not QMP. After an error the client is
 * dead: every pending command has failed, and the owner still calls qmp_close().
 */
typedef void (*qmp_status_fn)(struct qmp_client *c, const char *error, void *arg);
/* An event: name ("SHUTDOWN"), data (borrowed; may be NULL). */
typedef void (*qmp_event_fn)(struct qmp_client *c, const char *event, json_t *data, void *arg);
/*
 * A command's outcome, exactly once: ret is the "return" value (borrowed; json_incref to
 * keep it) and error NULL; or ret NULL and error says what failed: QEMU's error reply
 * ("... failed: DESC (CLASS)"), no reply within the timeout, the connection lost, or the
 * client closed by qmp_close().
 */
typedef void (*qmp_reply_fn)(struct qmp_client *c, json_t *ret, const char *error, void *arg);

/*
 * Connects to the QMP socket at sock_path and starts the handshake, which must finish
 * within timeout_ms (> 0) or status_cb gets an error. event_cb may be NULL. Returns the
 * client, or NULL with err set when it cannot connect at all (no socket, refused, path
 * too long); callbacks are never called from inside qmp_open().
 */
struct qmp_client *qmp_open(struct event_base *base, const char *sock_path, int timeout_ms,
                            qmp_status_fn status_cb, qmp_event_fn event_cb, void *arg,
                            struct dp_err *err);

/*
 * Sends `cmd` with `args` (an object or NULL; the reference is stolen even on failure).
 * reply_cb is called exactly once, within timeout_ms (> 0), never from inside
 * qmp_execute(). A reply that comes after its timeout is dropped. Returns 0, or -1 with err
 * set (client not ready or dead, bad arguments); reply_cb is then not called.
 */
int qmp_execute(struct qmp_client *c, const char *cmd, json_t *args, int timeout_ms,
                qmp_reply_fn reply_cb, void *arg, struct dp_err *err);

/* True once the handshake is done and until the connection is lost or closed. */
int qmp_is_ready(const struct qmp_client *c);
/* The socket path, for messages. */
const char *qmp_path(const struct qmp_client *c);

/*
 * Closes the connection and frees the client (later, if called from inside one of its
 * callbacks). Pending commands' reply_cb run at once with a "client closed" error; after
 * qmp_close() returns no callback of this client runs again. NULL is a no-op.
 */
void qmp_close(struct qmp_client *c);

/*
 * Synchronous: opens sock_path on a private event loop, runs one command, closes. The
 * whole call takes at most timeout_ms (plus a little). Returns the "return" value (caller
 * decrefs), or NULL with err set. args is stolen.
 */
json_t *qmp_call(const char *sock_path, const char *cmd, json_t *args, int timeout_ms,
                 struct dp_err *err);

#endif
