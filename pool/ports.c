/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host ports for the VMs' RDP hostfwd. A port is taken when a VM row is created and
 * recorded in that row (vms.rdp_port), so it survives restarts and two VMs never share
 * one; ports_init rebuilds the in-use set from the store. A port some other program holds
 * (bind fails) is skipped, so QEMU does not fail on it at start.
 */
#include "pool_internal.h"

#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int range(const struct pool_mgr *m)
{
    return m->cfg.port_max - m->cfg.port_min + 1;
}

int ports_init(struct pool_mgr *m, struct db *db, struct dp_err *err)
{
    m->ports_used = calloc((size_t)range(m), 1);
    if (!m->ports_used) {
        dp_err_set(err, "pool manager: out of memory");
        return -1;
    }
    struct db_vm *vms = NULL;
    size_t n = 0;
    if (db_vm_list(db, 0, -1, &vms, &n, err) != DB_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int p = vms[i].rdp_port;
        if (p >= m->cfg.port_min && p <= m->cfg.port_max)
            m->ports_used[p - m->cfg.port_min] = 1;
    }
    free(vms);
    return 0;
}

int ports_bindable(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 1; /* cannot tell; QEMU will say so if it is taken */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno != EADDRINUSE;
    close(fd);
    return ok;
}

int ports_take(struct pool_mgr *m, struct dp_err *err)
{
    pthread_mutex_lock(&m->port_mu);
    int port = -1;
    for (int i = 0; i < range(m) && port < 0; i++) {
        if (!m->ports_used[i] && ports_bindable(m->cfg.port_min + i)) {
            m->ports_used[i] = 1;
            port = m->cfg.port_min + i;
        }
    }
    pthread_mutex_unlock(&m->port_mu);
    if (port < 0)
        dp_err_set(err,
                   "no free RDP port left in %d-%d (%d VMs have one); widen the range in the "
                   "configuration or delete VMs",
                   m->cfg.port_min, m->cfg.port_max, range(m));
    return port;
}

void ports_release(struct pool_mgr *m, int port)
{
    if (port < m->cfg.port_min || port > m->cfg.port_max)
        return;
    pthread_mutex_lock(&m->port_mu);
    m->ports_used[port - m->cfg.port_min] = 0;
    pthread_mutex_unlock(&m->port_mu);
}
