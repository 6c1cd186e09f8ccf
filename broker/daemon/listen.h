/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_LISTEN_H
#define DESKPOOL_BROKER_LISTEN_H

/* The API's two listeners, each an evhttp on the daemon's event loop. */
struct deskpoold;
struct dp_err;

/*
 * The admin socket at cfg.socket: mode 0660, group admin_group when set (so its members can
 * connect; the uid check still runs per request). A stale socket file is replaced; one a
 * running deskpoold answers on is refused.
 */
int listen_unix(struct deskpoold *d, struct dp_err *err);

/* HTTPS on cfg.https_host:https_port with d->ssl. */
int listen_https(struct deskpoold *d, struct dp_err *err);

#endif
