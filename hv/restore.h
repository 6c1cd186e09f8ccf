/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_RESTORE_H
#define DESKPOOL_HV_RESTORE_H

/*
 * Loading a saved VM state into a QEMU started with `-incoming defer` (a VM whose spec has
 * both `incoming` and `mem_file`). The state holds no RAM: with x-ignore-shared the saving
 * parent skipped its file-backed RAM, and the clone maps that same file.
 */
struct dp_err;

/* Sets x-ignore-shared and starts loading `state` (migrate-incoming exec:cat STATE). */
int hv_restore_begin(const char *qmp_sock, const char *state, int timeout_ms, struct dp_err *err);

/*
 * Waits until the QEMU with pid `pid` has left the "inmigrate" state. Returns the
 * milliseconds waited, or -1 with err set when QEMU exited (a state it could not load) or
 * still loads after timeout_ms. The VM is then paused (the parent was saved stopped).
 */
int hv_restore_wait(const char *qmp_sock, int pid, int timeout_ms, struct dp_err *err);

#endif
