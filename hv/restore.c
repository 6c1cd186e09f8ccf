/* SPDX-License-Identifier: Apache-2.0 */
#include "restore.h"

#include "err.h"
#include "files.h"
#include "proc.h"
#include "qmp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int hv_restore_begin(const char *qmp_sock, const char *state, int timeout_ms, struct dp_err *err)
{
    json_t *caps =
        json_pack("{s:[{s:s, s:b}]}", "capabilities", "capability", "x-ignore-shared", "state", 1);
    json_t *r = qmp_call(qmp_sock, "migrate-set-capabilities", caps, timeout_ms, err);
    if (!r)
        return -1;
    json_decref(r);
    char uri[4200];
    snprintf(uri, sizeof uri, "exec:cat %s", state);
    r = qmp_call(qmp_sock, "migrate-incoming", json_pack("{s:s}", "uri", uri), timeout_ms, err);
    if (!r)
        return -1;
    json_decref(r);
    return 0;
}

int hv_restore_wait(const char *qmp_sock, int pid, int timeout_ms, struct dp_err *err)
{
    uint64_t t0 = dp_now_ms(), deadline = t0 + (uint64_t)timeout_ms;
    char last[256] = "inmigrate";
    for (;;) {
        /* QEMU exits when it cannot load a state: no point waiting out the deadline. */
        if (!proc_alive_with(pid, qmp_sock)) {
            dp_err_set(err, "QEMU exited while loading the saved state (a corrupt or incompatible "
                            "state file; -daemonize discards QEMU's own message)");
            return -1;
        }
        struct dp_err qerr = {0};
        json_t *r = qmp_call(qmp_sock, "query-status", NULL, 1000, &qerr);
        const char *st = r ? json_string_value(json_object_get(r, "status")) : NULL;
        if (st && strcmp(st, "inmigrate") != 0) {
            int bad = strcmp(st, "paused") != 0 && strcmp(st, "running") != 0;
            if (bad)
                dp_err_set(err, "restore ended in QEMU state \"%s\" instead of paused", st);
            json_decref(r);
            return bad ? -1 : (int)(dp_now_ms() - t0);
        }
        snprintf(last, sizeof last, "%s", st ? st : dp_err_msg(&qerr));
        json_decref(r);
        if (dp_now_ms() >= deadline)
            break;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    dp_err_set(err, "QEMU still loading the saved state after %d ms (%s)", timeout_ms, last);
    return -1;
}
