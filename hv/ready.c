/* SPDX-License-Identifier: Apache-2.0 */
#include "ready.h"

#include "check_x224.h"
#include "err.h"
#include "files.h"
#include "hv.h"
#include "qga.h"

#include <jansson.h>
#include <stdio.h>
#include <time.h>

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int hv_wait_ready(struct hv *hv, const char *name, int timeout_ms, int need_rdp, struct dp_err *err)
{
    struct hv_vm_paths p;
    struct hv_vm_status st;
    if (hv->ops->paths(hv, name, &p, err) != 0 || hv->ops->status(hv, name, &st, err) != 0)
        return -1;
    uint64_t t0 = dp_now_ms(), deadline = t0 + (uint64_t)timeout_ms;
    int agent_ok = 0;
    char last[512] = "no answer yet";
    while (dp_now_ms() < deadline) {
        if (hv->ops->status(hv, name, &st, err) != 0)
            return -1;
        if (st.state == HV_VM_DEFINED || st.state == HV_VM_SHUTDOWN) {
            dp_err_set(err, "VM %s stopped while booting; read its serial log %s", name, p.serial);
            return -1;
        }
        int slice = (int)(deadline - dp_now_ms());
        slice = slice > 1000 ? 1000 : slice < 50 ? 50 : slice;
        if (!agent_ok) {
            struct dp_err qerr = {0};
            json_t *r = qga_call(p.qga, "guest-ping", NULL, slice, &qerr);
            if (r) {
                json_decref(r);
                agent_ok = 1;
            } else {
                snprintf(last, sizeof last, "guest agent: %s", dp_err_msg(&qerr));
            }
        }
        if (agent_ok && (!need_rdp || st.rdp_port <= 0))
            return (int)(dp_now_ms() - t0);
        if (agent_ok) {
            char detail[256];
            /* One probe with all the time left, not short slices: a guest RDP server that is
             * up but slow to answer would otherwise see abandoned probes pile up ahead of new
             * ones (seen with several VMs booting at once). A port nothing listens on behind
             * slirp closes at once, so this does not wait in vain. */
            int left = (int)(deadline - dp_now_ms());
            if (check_x224("127.0.0.1", st.rdp_port, left > 50 ? left : 50, detail, sizeof detail))
                return (int)(dp_now_ms() - t0);
            snprintf(last, sizeof last, "RDP port %d: %s", st.rdp_port, detail);
        }
        nap_ms(100);
    }
    dp_err_set(err, "VM %s not ready after %d ms (%s); read its serial log %s", name, timeout_ms,
               last, p.serial);
    return -1;
}
