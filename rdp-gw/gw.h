/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_H
#define DESKPOOL_GW_H

/*
 * deskpool-gw's shared structs: the daemon context (one per process, one event loop) and
 * one struct per client connection, which walks these stages:
 *   X224     read preconnection PDU + Connection Request, answer (front.c)
 *   TLS      TLS handshake as server (front.c)
 *   CREDSSP  NLA as server; HASH while the broker looks the user's hash up (front.c)
 *   DESKTOP  ask the broker for the user's desktop, retrying while it starts (front.c)
 *   BACKEND  X.224, TLS and CredSSP as client to the VM with injected credentials (backend.c)
 *   RELAY    bytes both ways, MCS patch, redirection filter (relay.c)
 * or, for a broker routing token: X224 -> TOKEN (redeem) -> BACKEND (raw TCP) -> RELAY (raw).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "front_sm.h"
#include "gw_config.h"
#include "login_queue.h"
#include "metrics.h"
#include "tls.h"

struct gw_broker;
struct gw_broker_req;
struct gw_limits;
struct gw_sessions;
struct gw_journal;
struct gw_cssp_server;
struct gw_cssp_client;
struct evconnlistener;
struct evdns_base;
struct evhttp;

struct gw_ctx {
    struct event_base *base;
    struct evdns_base *dns;
    const struct gw_config *cfg;
    SSL_CTX *front_ssl;
    SSL_CTX *back_ssl;
    struct gw_pubkey front_pub; /* the gateway certificate's key: CredSSP binds to it */
    struct gw_broker *broker;
    struct gw_limits *limits;
    struct gw_metrics metrics;
    struct evconnlistener *listener;
    struct evhttp *metrics_http;
    uint64_t next_id;
    struct gw_conn *conns;        /* every open connection, for shutdown */
    struct gw_sessions *sessions; /* session reports and their journal (session_report.c) */
    int stopping;
    uint64_t conns_peak;          /* most connections open since the last heap trim */
    struct event *trim;           /* gives freed heap back after a wave of connections */
    struct event *drain;          /* after SIGTERM: waits for the session reports */
    struct gw_login_queue logins; /* VM logins at once, and who waits (vm_logins.c) */
};

enum gw_stage {
    GW_ST_X224,
    GW_ST_TLS,
    GW_ST_CREDSSP,
    GW_ST_HASH,
    GW_ST_DESKTOP,
    GW_ST_TOKEN,
    GW_ST_BACKEND,
    GW_ST_RELAY,
};

enum gw_back_stage { GW_BK_CONNECT, GW_BK_X224, GW_BK_TLS, GW_BK_CREDSSP, GW_BK_EARLY_AUTH };

struct gw_conn {
    struct gw_ctx *ctx;
    struct gw_conn *prev, *next;
    uint64_t id;
    char source[64]; /* client address without port (limits key) */
    char peer[80];   /* address:port for logs */
    enum gw_stage stage;
    uint64_t accepted_ms;
    uint64_t last_activity_ms;
    int closing;

    struct bufferevent *front;
    struct bufferevent *back;
    struct event *deadline; /* handshake, then desktop wait; off while relaying */
    struct event *idle;     /* relay idle timeout */
    struct event *retry;    /* next desktops/request while a VM starts */
    struct gw_broker_req *breq;

    /* what the client's first bytes said */
    struct gw_front_decision d;
    uint8_t first[GW_FRONT_MAX_FIRST];
    size_t first_len;
    uint32_t front_selected; /* protocol selected towards the client */

    struct gw_cssp_server *cssp;
    char user[3 * 256 + 1];
    char domain[3 * 256 + 1];
    int login_reported;
    uint64_t desktop_deadline_ms;
    /* The desktop is asked for once the password is proven, before NLA's last message:
     * that message waits here meanwhile, so a refusal can still be a CredSSP error code. */
    struct evbuffer *held_cssp;
    int early_ready; /* the desktop's target and credential are known; go to the VM at DONE */
    char *refusal;   /* why no desktop (the close reason once the error code is flushed) */

    /* the desktop the broker handed out */
    char session_id[128];
    char vm[128];
    char vm_host[256];
    int vm_port;
    char *vm_user, *vm_password; /* one-time; wiped once the VM took them */
    enum gw_back_stage back_stage;
    struct gw_cssp_client *bcssp;
    uint32_t back_selected;
    int raw;                    /* routing-token path: plain TCP splice, nothing parsed */
    struct gw_conn *login_next; /* in ctx->logins' waiting line */
    enum gw_login_state login_state;

    /* relay */
    int mcs_patched;
    uint64_t bytes_c2s, bytes_s2c;
    int session_reported;
};

/* conn.c: lifecycle */

/* A new connection for an accepted socket (takes fd). NULL when refused (fd closed). */
struct gw_conn *gw_conn_new(struct gw_ctx *ctx, evutil_socket_t fd, const struct sockaddr *sa,
                            int salen);

/*
 * Ends the connection: logs why (info level unless it is the gateway's fault), reports the
 * session end to the broker when a session ran, releases the limits slot, frees all.
 */
void gw_conn_close(struct gw_conn *c, const char *why);

/* (Re)arms the stage deadline seconds from now. */
void gw_conn_arm_deadline(struct gw_conn *c, int seconds);

/* Wipes and frees the one-time VM credential. */
void gw_conn_forget_vm_credential(struct gw_conn *c);

/* front.c */
void gw_front_start(struct gw_conn *c);

/* backend.c: connects to c->vm_host:vm_port; raw = routing-token splice. */
void gw_backend_start(struct gw_conn *c);

/*
 * vm_logins.c: at most [limits] max_vm_logins logins into desktop VMs at once. TLS and NLA
 * inside an emulated guest cost seconds of CPU; a logon storm that starts them all at once
 * makes every one so slow that guests drop them at their own handshake deadline, and no one
 * gets in. In line, each is quick and the storm drains. Routing-token splices are not
 * counted (the client logs in to the VM itself).
 * gw_vm_login_begin: 1 = go ahead now; 0 = queued, gw_backend_connect() is called when a slot
 * frees. gw_vm_login_end: the login finished (relay started) or the connection closed;
 * frees the slot or the place in line and starts whoever is next.
 */
int gw_vm_login_begin(struct gw_conn *c);
void gw_vm_login_end(struct gw_conn *c);
void gw_backend_connect(struct gw_conn *c);

/* relay.c: both sides are ready; moves bytes until either side ends. */
void gw_relay_start(struct gw_conn *c);

/* session_report.c: "connected" / "disconnected" with byte counts. A "disconnected" the
 * broker does not acknowledge is retried; the journal (takes ownership) keeps live sessions
 * on disk so the next gateway can report them ended after a crash. */
void gw_session_report(struct gw_conn *c, const char *event);
struct gw_sessions *gw_sessions_new(struct gw_ctx *ctx, struct gw_journal *journal);
void gw_sessions_free(struct gw_sessions *s);
/* Reports the sessions a previous gateway left in the journal as disconnected; calls ready
 * once the broker answered each (or could not be reached), at once if there were none. */
void gw_sessions_recover(struct gw_sessions *s, void (*ready)(struct gw_ctx *ctx));
/* Session reports waiting for the broker's answer (shutdown waits for them). */
int gw_sessions_in_flight(const struct gw_sessions *s);

/* metrics_http.c: serves /metrics on cfg->metrics_host:port. 0 or -1. */
int gw_metrics_http_start(struct gw_ctx *ctx, struct dp_err *err);

#endif
