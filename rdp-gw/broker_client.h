/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_BROKER_CLIENT_H
#define DESKPOOL_GW_BROKER_CLIENT_H

/*
 * The gateway's calls to deskpoold (docs/API.md, "Gateway"): JSON POSTs under /api/v1 over
 * HTTPS (evhttp over bufferevent_openssl), authenticated with the gateway key as a bearer
 * token. Asynchronous, one connection per call (calls are a handful per login). Bodies can
 * hold hashes and one-time passwords: nothing here logs a body.
 */
#include <jansson.h>

struct event_base;
struct evdns_base;
struct gw_config;
struct dp_err;

struct gw_broker;
struct gw_broker_req;

/*
 * Called once per call: status is the HTTP status, or 0 when no answer came (connection,
 * TLS or timeout; why says which). body is the parsed JSON object or NULL (not JSON, or
 * no body); it is freed after the callback returns.
 */
typedef void (*gw_broker_cb)(void *arg, int status, json_t *body, const char *why);

/* Reads the key file and prepares TLS. NULL with err naming the file or setting at fault. */
struct gw_broker *gw_broker_new(struct event_base *base, struct evdns_base *dns,
                                const struct gw_config *cfg, struct dp_err *err);
void gw_broker_free(struct gw_broker *b);

/*
 * POSTs body (reference stolen) to /api/v1 + path. cb may be NULL (fire and forget). Returns
 * a handle for gw_broker_cancel, or NULL when the call could not even start (cb is not
 * called then).
 */
struct gw_broker_req *gw_broker_post(struct gw_broker *b, const char *path, json_t *body,
                                     gw_broker_cb cb, void *arg);

/* Calls sent and not answered yet (fire-and-forget ones too): shutdown waits for them. */
int gw_broker_in_flight(const struct gw_broker *b);

/* The callback of req will not be called (the caller is going away). req may be NULL. */
void gw_broker_cancel(struct gw_broker_req *req);

#endif
