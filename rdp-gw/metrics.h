/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_METRICS_H
#define DESKPOOL_GW_METRICS_H

/*
 * The gateway's counters and the Prometheus text exposition of them (served on
 * [metrics] listen, path /metrics). Counters only ever grow; gauges say what is live now.
 */
#include <stdint.h>

#include <event2/buffer.h>

/* Upper bounds (seconds) of the handshake latency histogram: accept -> relay started. */
#define GW_METRICS_LATENCY_BUCKETS 9
extern const double gw_metrics_latency_bounds[GW_METRICS_LATENCY_BUCKETS];

struct gw_metrics {
    uint64_t connections_total;   /* accepted TCP connections */
    uint64_t connections_limited; /* closed at once: max_connections / max_per_source */
    uint64_t connections_active;  /* gauge */
    uint64_t negotiation_refused; /* no NLA offered (standard RDP security, TLS only) */
    uint64_t protocol_errors;     /* not RDP, broken TLS or CredSSP */
    uint64_t handshake_timeouts;  /* dropped at the handshake deadline */
    uint64_t logins_ok;
    uint64_t logins_failed;
    uint64_t desktops_unavailable; /* not entitled, no capacity, broker down */
    uint64_t backend_failures;     /* the VM did not take the injected login */
    uint64_t sessions_total;       /* relays started (NLA and routing-token paths) */
    uint64_t sessions_active;      /* gauge */
    uint64_t bytes_client_to_vm;
    uint64_t bytes_vm_to_client;
    uint64_t redirects_dropped;
    uint64_t idle_timeouts;     /* relays ended by [limits] idle_timeout */
    uint64_t vm_logins_active;  /* gauge: logins into desktop VMs under way */
    uint64_t vm_logins_waiting; /* gauge: waiting for one of [limits] max_vm_logins */
    uint64_t latency_buckets[GW_METRICS_LATENCY_BUCKETS]; /* cumulative on output only */
    uint64_t latency_count;
    double latency_sum;
};

/* Records one handshake that took seconds. */
void gw_metrics_observe_handshake(struct gw_metrics *m, double seconds);

/* Appends the Prometheus text format (version 0.0.4) of *m to out. 0 or -1 (no memory). */
int gw_metrics_format(const struct gw_metrics *m, struct evbuffer *out);

#endif
