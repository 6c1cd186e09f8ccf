/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_PROGRESS_H
#define DESKPOOL_CLI_PROGRESS_H

/* One status line with a spinner for long operations, redrawn in place on a terminal and
 * silent otherwise (scripts and logs get only the final result). */
#include <stdint.h>
#include <stdio.h>

struct cli_progress {
    FILE *f; /* NULL: disabled */
    unsigned frame;
    uint64_t start_ms;
    int shown; /* a line is on screen */
    char text[256];
};

/* Enabled only if enabled is non-zero (the caller checks that stdout is a terminal). */
void progress_start(struct cli_progress *p, FILE *f, int enabled, const char *text);
/* Replaces the text (printf-style) and redraws with the elapsed time. */
void progress_set(struct cli_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Redraws (advances the spinner); fits http_tick_fn. */
void progress_tick(void *p);
/* Erases the line. */
void progress_end(struct cli_progress *p);

#endif
