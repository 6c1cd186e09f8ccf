/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DAEMON_H
#define DESKPOOL_BROKER_DAEMON_H

/*
 * deskpoold's one context: everything the daemon holds while it runs. The event loop thread
 * owns it; worker threads (workers.h) get only what a job carries, plus their own store
 * connection. The pool manager has its own threads and connections.
 */
#include "config.h"
#include "store/secretbox.h"
#include "tiny_build.h"

#include <openssl/ssl.h>
#include <stdint.h>
#include <sys/types.h>

struct db;
struct dp_err;
struct event;
struct event_base;
struct evhttp;
struct workers;
struct pool_mgr;

#define GATEWAY_KEY_MAX 128

struct deskpoold {
    struct dp_config cfg;
    int foreground;
    int64_t started; /* unix seconds */

    struct event_base *base;
    struct evhttp *http_unix;  /* admins, SO_PEERCRED-checked */
    struct evhttp *http_https; /* users and gateways, bearer-checked */
    SSL_CTX *ssl;
    struct event *signals[3]; /* TERM, INT, HUP */

    struct db *db;           /* the loop thread's store connection */
    struct workers *workers; /* API worker threads */
    struct pool_mgr *pm;     /* the pool manager (its own threads) */
    struct secretbox_key key;
    char gateway_key[GATEWAY_KEY_MAX];
    int has_admin_gid;
    gid_t admin_gid;
    struct tiny_build_inputs tiny;
};

/*
 * Opens everything in order (state dir, keys, TLS material, store, pool manager,
 * listeners); on failure closes what was opened and says which step failed and why.
 */
int daemon_open(struct deskpoold *d, struct dp_err *err);

/* Runs the event loop until SIGTERM or SIGINT. */
void daemon_run(struct deskpoold *d);

/* Stops listening, waits for API jobs and the pool manager's threads, closes the store.
 * VMs keep running. */
void daemon_close(struct deskpoold *d);

#endif
