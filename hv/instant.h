/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_INSTANT_H
#define DESKPOOL_HV_INSTANT_H

/*
 * Instant clones: a desktop restored from its template version's parent (hv/parent.h)
 * instead of booted. The pool manager's whole API:
 *
 *   hv_parent_ensure(hv, tpl_version, 0, &parent, &err)       once per template version
 *   hv_instant_define(hv, &spec, parent.dir, why, n, &err)    per desktop (like ops->define)
 *   hv_instant_start(hv, name, &personalise, ms, &res, &err)  restore (or boot) to ready
 *
 * A clone is an overlay chained on the parent's frozen disk (clone → parent disk → base),
 * the parent's command line with the clone's own folder, sockets and hostfwd port, and the
 * parent's MAC: the restored guest kernel keeps the NIC it was saved with, and under user
 * networking every guest is alone on its own slirp segment, so equal MACs never meet. (On
 * a bridge they would: bridged pools boot, see hv_instant_define.) Guest RAM is the
 * parent's RAM file mapped private: pages stay shared in the host page cache until a
 * clone writes them.
 *
 * Whatever cannot be restored boots cold instead, with the reason logged and reported:
 * no parent, a parent that is damaged (state sha256, RAM size/mtime), made by another QEMU
 * or for other guest hardware (memory size, vCPUs, machine, devices), a restore QEMU
 * refuses or that hangs, or a disk that has run since it was cloned. Nothing that failed
 * is left running.
 */
#include <stddef.h>

struct hv;
struct hv_vm_spec;
struct hv_personalise;
struct dp_err;

/*
 * Defines VM spec->name as an instant clone of the parent in parent_dir. spec is what a
 * booted VM of the template would be (base, kernel, memory, vCPUs, port, ...). If the
 * parent cannot serve it (parent_dir NULL or missing, damaged, other QEMU or guest
 * hardware, bridged network), defines spec as it is, a VM that boots, and puts the reason
 * into why (also logged); why is "" for an instant clone. Returns -1 only when neither
 * could be defined.
 */
int hv_instant_define(struct hv *hv, const struct hv_vm_spec *spec, const char *parent_dir,
                      char *why, size_t why_cap, struct dp_err *err);

struct hv_instant_result {
    int restored;        /* 1: restored from the parent; 0: booted cold */
    char fallback[1024]; /* why an instant clone booted cold ("" otherwise) */
    int restore_ms;      /* QEMU launch to state loaded, when restored */
    int ready_ms;        /* start to ready (personalised, guest agent and RDP answer) */
};

/*
 * Starts VM `name` and returns once it is ready: an instant clone whose disk is untouched
 * is restored (launch, load the state, cont), personalised (clock, host name, optional
 * credential) and probed; anything else boots, then is personalised. A failed restore is
 * killed and the VM boots instead. On failure (-1) the VM is not left running.
 */
int hv_instant_start(struct hv *hv, const char *name, const struct hv_personalise *p,
                     int timeout_ms, struct hv_instant_result *res, struct dp_err *err);

#endif
