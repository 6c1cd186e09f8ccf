/* SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"

#include <stddef.h>

const double gw_metrics_latency_bounds[GW_METRICS_LATENCY_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1,
                                                                      2.5,  5,   10,   30};

void gw_metrics_observe_handshake(struct gw_metrics *m, double seconds)
{
    for (int i = 0; i < GW_METRICS_LATENCY_BUCKETS; i++) {
        if (seconds <= gw_metrics_latency_bounds[i]) {
            m->latency_buckets[i]++;
            break;
        }
    }
    m->latency_count++;
    m->latency_sum += seconds;
}

struct row {
    const char *name, *type, *help;
    size_t offset;
};

#define ROW(field, type, help)                                                                     \
    {                                                                                              \
        "deskpool_gw_" #field, type, help, offsetof(struct gw_metrics, field)                      \
    }

static const struct row rows[] = {
    ROW(connections_total, "counter", "TCP connections accepted."),
    ROW(connections_limited, "counter", "Connections closed at once by connection limits."),
    ROW(connections_active, "gauge", "Connections open now."),
    ROW(negotiation_refused, "counter", "Clients refused for offering no NLA."),
    ROW(protocol_errors, "counter", "Connections ended by malformed RDP, TLS or CredSSP."),
    ROW(handshake_timeouts, "counter", "Connections dropped at the handshake deadline."),
    ROW(logins_ok, "counter", "NLA logins that succeeded."),
    ROW(logins_failed, "counter", "NLA logins refused (wrong password, unknown user)."),
    ROW(desktops_unavailable, "counter", "Logins that got no desktop (entitlement, capacity)."),
    ROW(backend_failures, "counter", "Desktop VMs that did not take the injected login."),
    ROW(sessions_total, "counter", "Relayed sessions started."),
    ROW(sessions_active, "gauge", "Relayed sessions open now."),
    ROW(bytes_client_to_vm, "counter", "Bytes relayed from clients to desktops."),
    ROW(bytes_vm_to_client, "counter", "Bytes relayed from desktops to clients."),
    ROW(redirects_dropped, "counter", "Server redirection PDUs dropped."),
    ROW(idle_timeouts, "counter",
        "Relayed sessions ended for no client input ([limits] idle_timeout)."),
    ROW(vm_logins_active, "gauge", "Logins into desktop VMs under way (TLS and NLA as client)."),
    ROW(vm_logins_waiting, "gauge", "Logins waiting for a slot ([limits] max_vm_logins)."),
};

int gw_metrics_format(const struct gw_metrics *m, struct evbuffer *out)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const uint64_t *v = (const uint64_t *)((const char *)m + rows[i].offset);
        rc |= evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", rows[i].name,
                                  rows[i].help, rows[i].name, rows[i].type, rows[i].name,
                                  (unsigned long long)*v) < 0;
    }
    const char *h = "deskpool_gw_handshake_seconds";
    rc |= evbuffer_add_printf(out,
                              "# HELP %s Time from accept to relayed session (TLS, NLA, broker, "
                              "VM login).\n# TYPE %s histogram\n",
                              h, h) < 0;
    uint64_t cum = 0;
    for (int i = 0; i < GW_METRICS_LATENCY_BUCKETS; i++) {
        cum += m->latency_buckets[i];
        rc |= evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %llu\n", h,
                                  gw_metrics_latency_bounds[i], (unsigned long long)cum) < 0;
    }
    rc |= evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", h,
                              (unsigned long long)m->latency_count, h, m->latency_sum, h,
                              (unsigned long long)m->latency_count) < 0;
    return rc ? -1 : 0;
}
