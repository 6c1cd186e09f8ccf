/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PROC_H
#define DESKPOOL_HV_PROC_H

#include <stddef.h>

struct dp_err;

/*
 * Runs argv (no shell) and waits for it. Its stdout is captured into out (NUL-terminated,
 * truncated to cap) when out is non-NULL, its stderr into errbuf likewise. Returns the exit
 * status (0..255), or -1 with err set if it could not run or died of a signal.
 */
int proc_run(char *const argv[], char *out, size_t cap, char *errbuf, size_t errcap,
             struct dp_err *err);
/* Finds an executable in PATH; returns 0 and fills out, or -1. */
int proc_which(const char *name, char *out, size_t cap);
/* Reads a pidfile; returns the pid or 0 if missing/garbled. */
int proc_read_pidfile(const char *path);
/* True if pid is alive and its command line contains `needle` (guards against pid reuse). */
int proc_alive_with(int pid, const char *needle);
/* Resident set size in KiB, 0 if unknown. */
long proc_rss_kb(int pid);
/* Waits up to timeout_ms for pid to exit (polling; works for non-children). 0 if gone. */
int proc_wait_gone(int pid, int timeout_ms);

#endif
