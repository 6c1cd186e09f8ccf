/* SPDX-License-Identifier: Apache-2.0 */
#include "instant.h"

#include "check_x224.h"
#include "err.h"
#include "files.h"
#include "hv.h"
#include "log.h"
#include "parent.h"
#include "personalise.h"
#include "proc.h"
#include "qmp.h"
#include "ready.h"
#include "restore.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Loading ~1 MB of device state takes ~20 ms; a restore still loading after this hangs. */
#define RESTORE_TIMEOUT_MS 20000
#define PERSONALISE_TIMEOUT_MS 10000

int hv_instant_define(struct hv *hv, const struct hv_vm_spec *spec, const char *parent_dir,
                      char *why, size_t why_cap, struct dp_err *err)
{
    why[0] = '\0';
    struct hv_vm_spec clone = *spec;
    struct hv_parent par;
    struct dp_err cerr = {0};
    if (!parent_dir) {
        dp_err_set(&cerr, "the template has no instant-clone parent");
    } else if (spec->net != HV_NET_USER) {
        dp_err_set(&cerr, "bridged VMs boot: clones of one parent share its MAC address");
    } else {
        hv_parent_paths(parent_dir, &par);
        snprintf(clone.base, sizeof clone.base, "%s", par.disk);
        snprintf(clone.incoming, sizeof clone.incoming, "%s", par.state);
        snprintf(clone.mem_file, sizeof clone.mem_file, "%s", par.ram);
        clone.mem_shared = 0;
        if (hv_parent_check(hv, parent_dir, NULL, 0, &par, &cerr) == 0) {
            snprintf(clone.mac, sizeof clone.mac, "%s", par.meta.mac);
            hv_parent_check(hv, parent_dir, &clone, 0, &par, &cerr);
        }
    }
    if (!cerr.set)
        return hv->ops->define(hv, &clone, err);
    snprintf(why, why_cap, "%s", dp_err_msg(&cerr));
    log_warn("VM %s: defined to boot instead of as an instant clone: %s", spec->name, why);
    struct hv_vm_spec plain = *spec;
    plain.incoming[0] = plain.mem_file[0] = '\0';
    return hv->ops->define(hv, &plain, err);
}

static void kill_quietly(struct hv *hv, const char *name)
{
    struct dp_err ignore = {0};
    hv->ops->kill(hv, name, &ignore);
}

/*
 * The agent answered personalisation, so readiness is left to the RDP server. One probe
 * waits as long as it takes instead of hv_wait_ready()'s 1 s slices: a probe given up on
 * stays queued in the guest's desktop server, which answers connections one by one, and
 * every later probe then waits behind it.
 */
static int wait_rdp(const struct hv_vm_spec *spec, int timeout_ms, struct dp_err *err)
{
    if (!spec->has_rdp || spec->rdp_port <= 0)
        return 0;
    uint64_t deadline = dp_now_ms() + (uint64_t)timeout_ms;
    char detail[256] = "no answer";
    while (dp_now_ms() < deadline) {
        if (check_x224("127.0.0.1", spec->rdp_port, (int)(deadline - dp_now_ms()), detail,
                       sizeof detail))
            return 0;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    dp_err_set(err, "RDP port %d: %s", spec->rdp_port, detail);
    return -1;
}

/* Restore path: 0 when ready, else -1 with the reason in why and the VM off. */
static int try_restore(struct hv *hv, const struct hv_vm_spec *spec, const struct hv_vm_paths *p,
                       const struct hv_personalise *pers, int timeout_ms,
                       struct hv_instant_result *res, char *why, size_t cap)
{
    struct hv_parent par;
    char pdir[PATH_MAX];
    snprintf(pdir, sizeof pdir, "%s", spec->incoming);
    struct dp_err e = {0};
    if (hv_parent_check(hv, dirname(pdir), spec, 0, &par, &e) != 0) {
        snprintf(why, cap, "parent unusable: %s", dp_err_msg(&e));
        return -1;
    }
    uint64_t t0 = dp_now_ms();
    if (hv->ops->start(hv, spec->name, &e) != 0) {
        snprintf(why, cap, "restore did not start: %s", dp_err_msg(&e));
        kill_quietly(hv, spec->name);
        return -1;
    }
    int pid = proc_read_pidfile(p->pidfile);
    json_t *r = NULL;
    if (hv_restore_wait(p->qmp, pid, RESTORE_TIMEOUT_MS, &e) < 0 ||
        !(r = qmp_call(p->qmp, "cont", NULL, 3000, &e))) {
        snprintf(why, cap, "restore failed: %s", dp_err_msg(&e));
        kill_quietly(hv, spec->name);
        return -1;
    }
    json_decref(r);
    res->restore_ms = (int)(dp_now_ms() - t0);
    log_debug("VM %s: state loaded and running after %d ms", spec->name, res->restore_ms);
    int ok = hv_personalise(hv, spec->name, pers, PERSONALISE_TIMEOUT_MS, &e) == 0;
    log_debug("VM %s: personalised after %d ms", spec->name, (int)(dp_now_ms() - t0));
    if (!ok || wait_rdp(spec, timeout_ms, &e) != 0) {
        snprintf(why, cap, "restored clone did not become ready: %s", dp_err_msg(&e));
        kill_quietly(hv, spec->name);
        return -1;
    }
    return 0;
}

int hv_instant_start(struct hv *hv, const char *name, const struct hv_personalise *pers,
                     int timeout_ms, struct hv_instant_result *res, struct dp_err *err)
{
    memset(res, 0, sizeof *res);
    uint64_t t0 = dp_now_ms();
    struct hv_vm_spec spec;
    struct hv_vm_paths p;
    if (hv->ops->attach(hv, name, &spec, err) != 0 || hv->ops->paths(hv, name, &p, err) != 0)
        return -1;
    if (spec.incoming[0]) {
        if (!dp_path_exists(p.restore_marker))
            snprintf(res->fallback, sizeof res->fallback,
                     "its disk has run since it was cloned (reset it to restore again)");
        else if (try_restore(hv, &spec, &p, pers, timeout_ms, res, res->fallback,
                             sizeof res->fallback) == 0)
            res->restored = 1;
    }
    if (!res->restored) {
        if (res->fallback[0])
            log_warn("VM %s: instant clone boots cold instead: %s", name, res->fallback);
        unlink(p.restore_marker); /* the driver then boots without the parent's state */
        uint64_t now = dp_now_ms();
        int left = timeout_ms - (int)(now - t0);
        if (hv->ops->start(hv, name, err) != 0)
            return -1;
        left = left > 1000 ? left : 1000;
        /* Same readiness as a restore: agent, personalisation, then one patient probe. */
        if (hv_wait_ready(hv, name, left, 0, err) < 0 ||
            hv_personalise(hv, name, pers, PERSONALISE_TIMEOUT_MS, err) != 0 ||
            wait_rdp(&spec, left - (int)(dp_now_ms() - now), err) != 0) {
            kill_quietly(hv, name);
            return -1;
        }
    }
    res->ready_ms = (int)(dp_now_ms() - t0);
    log_info("VM %s ready in %d ms (%s)", name, res->ready_ms,
             res->restored ? "restored from its parent" : "cold boot");
    return 0;
}
