/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_READY_H
#define DESKPOOL_HV_READY_H

struct hv;
struct dp_err;

/*
 * Waits until VM `name` is ready: its guest agent answers guest-ping and, when need_rdp is
 * set and the VM forwards an RDP port, that port answers an X.224 Connection Confirm.
 * Fails early if QEMU exits, and at timeout_ms with the stage that did not answer and the
 * serial log to read. Returns the milliseconds it took, or -1.
 */
int hv_wait_ready(struct hv *hv, const char *name, int timeout_ms, int need_rdp,
                  struct dp_err *err);

#endif
