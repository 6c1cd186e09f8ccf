/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_FAKE_H
#define DESKPOOL_HV_FAKE_H

/*
 * A fake hypervisor behind `struct hv_ops`, for the pool manager's unit tests and benchmarks:
 * VMs are rows in memory (no QEMU, no disk), every operation is thread-safe, and knobs make
 * it slow, failing or dying on demand. Behaves like the QEMU driver where the pool manager
 * can tell: define refuses an existing name, start refuses a running VM or an undefined one,
 * reset_disk refuses a running VM, destroy and status refuse an unknown name.
 */
#include "hv.h"

struct dp_err;

/* Opens an empty fake. state_dir is only copied into hv->state_dir. */
struct hv *hv_fake_open(const char *state_dir, struct dp_err *err);

/* Calls of each operation since open (or the last hv_fake_reset_counts). */
struct hv_fake_counts {
    int define, start, stop, kill, destroy, reset_disk, status, list, wait_ready, set_password;
};
void hv_fake_counts(struct hv *hv, struct hv_fake_counts *out);
void hv_fake_reset_counts(struct hv *hv);

/* start sleeps this long before it returns (as launching QEMU takes time). */
void hv_fake_set_start_delay_ms(struct hv *hv, int ms);
/* hv_fake_wait_ready sleeps this long before it answers (as booting takes time). */
void hv_fake_set_ready_delay_ms(struct hv *hv, int ms);
/* The next n starts fail (with a message naming the fake); defines likewise. */
void hv_fake_fail_starts(struct hv *hv, int n);
void hv_fake_fail_defines(struct hv *hv, int n);
/* The next n waits for readiness fail as a guest that never answers would. */
void hv_fake_fail_ready(struct hv *hv, int n);

/* VM `name`'s QEMU exits (running -> defined), as if it crashed. -1 if it is not running. */
int hv_fake_die(struct hv *hv, const char *name);

/* How many VMs are defined, and how many of them run. */
int hv_fake_count(struct hv *hv, int *running);

/* VM `name`'s disk generation: 1 after define, +1 at each reset_disk; 0 if no such VM. A
 * refresh shows as a higher generation (or a new define). */
int hv_fake_disk_gen(struct hv *hv, const char *name);
/* Copies VM `name`'s spec; -1 if there is no such VM. */
int hv_fake_spec(struct hv *hv, const char *name, struct hv_vm_spec *out);
/* The last account and password set in VM `name` with hv_fake_set_password; -1 if none. */
int hv_fake_password(struct hv *hv, const char *name, char *user, size_t ucap, char *pw,
                     size_t pcap);

/* Readiness for fake VMs, with hv_wait_ready's contract: ready when the VM runs (after the
 * ready delay); fails if it does not run or a fail_ready knob is armed. */
int hv_fake_wait_ready(struct hv *hv, const char *name, int timeout_ms, int need_rdp,
                       struct dp_err *err);
/* Sets a guest account's password in a running fake VM (records it for hv_fake_password). */
int hv_fake_set_password(struct hv *hv, const char *name, const char *user, const char *password,
                         int timeout_ms, struct dp_err *err);

#endif
