/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_LOGIN_QUEUE_H
#define DESKPOOL_GW_LOGIN_QUEUE_H

/* The line of connections waiting to log in to their desktop VM (vm_logins.c, gw.h). */
struct gw_conn;

enum gw_login_state { GW_LOGIN_NONE, GW_LOGIN_WAITING, GW_LOGIN_ACTIVE };

struct gw_login_queue {
    int active;                       /* logins into VMs under way */
    int waiting;                      /* connections in line */
    struct gw_conn *head, *tail;      /* first come, first served */
    void (*start)(struct gw_conn *c); /* gw_backend_connect; tests record instead */
    int pumping;                      /* a start that fails at once ends re-entrantly */
};

#endif
