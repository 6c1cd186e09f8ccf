/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_LOAD_H
#define DESKPOOL_PROBE_LOAD_H

/*
 * The load mode: many logins (one probe_session each), at most `concurrency` at once, each on
 * its own thread. FreeRDP 2.11 keeps a client's state in its rdpContext, so instances on
 * different threads are independent; process-wide set-up (WinPR, OpenSSL, the log) happens
 * once, in probe_session_global_init, before any thread starts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe_session.h"

struct dp_err;

struct probe_login {
    char *user;
    char *password; /* wiped by probe_logins_free */
    struct probe_result res;
    long start_ms; /* from the start of the run to this login's start */
};

struct probe_logins {
    struct probe_login *v;
    size_t n;
};

/* "a,b,c" (blanks around names ignored, empty names refused) each with password. Pure. */
int probe_logins_from_list(const char *list, const char *password, struct probe_logins *out,
                           struct dp_err *err);
/* "user:password" lines ('#' comments and blank lines skipped; the password is everything
 * after the first ':'). Errors name the line. Pure. */
int probe_logins_from_text(const char *text, size_t len, struct probe_logins *out,
                           struct dp_err *err);
void probe_logins_free(struct probe_logins *l);

/* Summary of a series of millisecond values (probe_stats.c). */
struct probe_stats {
    size_t n;
    long min, p50, p95, p99, max; /* -1 when n == 0 */
    double mean;
};
/*
 * Nearest-rank percentiles: pN is the smallest value with at least N% of the values at or
 * below it (the ceil(N/100 * n)-th smallest), so every reported value is one that was really
 * measured. values is sorted in place. Pure.
 */
void probe_stats_compute(long *values, size_t n, struct probe_stats *out);
/* The nearest-rank percentile p (0 < p <= 100) of sorted[0..n); -1 for n == 0. Pure. */
long probe_percentile(const long *sorted, size_t n, double p);

struct probe_load_summary {
    size_t ok, failed;
    size_t by_status[8]; /* indexed by enum probe_status (0..6) */
    unsigned concurrency, peak;
    uint64_t wall_ms;
    struct probe_stats first_frame, connect;
};

/* Runs every login of l with base as the template (user/password replaced per login). */
void probe_load_run(const struct probe_session_config *base, struct probe_logins *l,
                    unsigned concurrency, struct probe_load_summary *sum);
/* Fills the counts and statistics of sum from the logins' results. Pure. */
void probe_load_summarize(const struct probe_logins *l, struct probe_load_summary *sum);
/* The exit status of a run: 0 if all got a frame, else the most frequent failure's (ties go
 * to the lower code). Pure. */
int probe_load_exit_status(const struct probe_load_summary *sum);

/* A table for people / one JSON object (probe_load_report.c). */
void probe_load_report_human(FILE *out, const char *target, const struct probe_logins *l,
                             const struct probe_load_summary *sum);
int probe_load_report_json(FILE *out, const char *target, const struct probe_logins *l,
                           const struct probe_load_summary *sum);

struct probe_options;
/* The load mode from parsed options: logins, run, report on stdout. Returns the exit status
 * (probe_load_main.c). */
int probe_load_main(const struct probe_options *opts);

#endif
