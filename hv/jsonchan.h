/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_JSONCHAN_H
#define DESKPOOL_HV_JSONCHAN_H

/*
 * What the QMP and QGA clients share: connecting to QEMU's unix sockets, reading framed
 * JSON objects out of a libevent buffer (framing by jsonwire), and writing commands.
 * Internal to hv/; the protocols live in qmp.c and qga.c.
 */
#include <stddef.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "jsonwire.h"

struct dp_err;

/*
 * Connects a non-blocking, close-on-exec AF_UNIX stream socket to `path`.
 * `what` ("QMP", "QGA") names the channel in errors. A path longer than sun_path is an
 * error, never truncated. Returns the fd, or -1 with err saying what to do.
 */
int jsonchan_connect(const char *what, const char *path, struct dp_err *err);

/*
 * The VM name for hints in error messages: VMs keep their sockets in .../vms/NAME/, so it
 * is the name of the socket's folder. Writes "NAME" (or "NAME" of the path itself when
 * it has no folder) into out.
 */
void jsonchan_vm_name(const char *path, char *out, size_t n);

/*
 * Takes the next token out of `in`. On JSONWIRE_MESSAGE *msg is the parsed object (caller
 * decrefs); a message that frames but does not parse as a JSON object is reported as
 * JSONWIRE_MALFORMED. Consumed bytes are drained from `in`; on JSONWIRE_NEED_MORE the
 * caller waits for more input. Never pulls up more than one message's worth of `in`.
 */
enum jsonwire_kind jsonchan_pull(struct jsonwire *w, struct evbuffer *in, json_t **msg);

/*
 * Queues msg as one compact line on bev. The serialized copy is wiped after queueing,
 * because it may carry a password (libevent's own copy is freed once written).
 * Returns 0, or -1 if msg cannot be serialized or queued.
 */
int jsonchan_send(struct bufferevent *bev, const json_t *msg);

/*
 * A write to a socket whose QEMU died raises SIGPIPE, which would kill the broker for a
 * VM's death. libevent writes with writev(), which has no MSG_NOSIGNAL, so the process
 * ignores SIGPIPE; this sets that up once, unless the program chose a handler itself.
 */
void jsonchan_ignore_sigpipe(void);

#endif
