/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_SESSION_H
#define DESKPOOL_PROBE_SESSION_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "probe_cli.h"
#include "probe_status.h"

/*
 * One RDP login, start to finish: connect with NLA, wait for the first desktop frame,
 * optionally settle and type, copy the framebuffer, disconnect. Everything one login needs
 * is in these two structs, so a load generator can run many sessions on many threads.
 */
struct probe_session_config {
    const char *host;
    unsigned port;
    const char *user;
    const char *domain;   /* may be NULL */
    const char *password; /* never logged */
    enum probe_sec sec;
    const char *load_balance_info; /* may be NULL */
    unsigned width, height;
    unsigned timeout_ms;   /* budget for everything up to the picture */
    unsigned settle_ms;    /* quiet time (no drawing) to wait for after a frame; 0: none */
    const char *type_text; /* may be NULL */
    int keep_framebuffer;  /* copy the final picture into the result (for --png) */
    unsigned hold_ms;      /* after the picture, stay connected this long (0: no); the
                              desktop must keep drawing (a clock): see PROBE_HOLD_GAP_MS */
    int logoff; /* then log off as a user would: type "logoff" + Enter and expect the server
                   to end the session with ERRINFO_LOGOFF_BY_USER within timeout_ms */
};

/* While holding, a gap this long without a frame fails the session (PROBE_NO_FRAME). */
#define PROBE_HOLD_GAP_MS 30000
/* Set (from a signal handler) to end a hold early; the session then ends as ok. */
extern volatile sig_atomic_t probe_hold_stop;

struct probe_result {
    enum probe_status status;
    char message[768];      /* what failed and what to do; empty when status is PROBE_OK */
    uint32_t freerdp_error; /* freerdp_get_last_error() when it failed, else 0 */
    long connect_ms;        /* start to session active (TCP+TLS+NLA+MCS+licence); -1: not */
    long first_frame_ms;    /* start to the first non-empty paint; -1: none */
    long typed_frame_ms;    /* keys sent to the next non-empty paint; -1: none/not typed */
    long logoff_ms;         /* "logoff" typed to the server ending the session; -1: not */
    unsigned frames;        /* non-empty paints seen */
    unsigned width, height;
    long distinct_colours; /* of the final picture; -1: no picture */
    uint8_t *pixels;       /* BGRX copy of the final picture if keep_framebuffer, else NULL */
    size_t stride;
};

/* Runs one session to completion within cfg->timeout_ms (plus a few hundred ms to tear
 * down). Always fills res; free it with probe_result_free. */
void probe_session_run(const struct probe_session_config *cfg, struct probe_result *res);
void probe_result_free(struct probe_result *res);

/* Once per process, before any session: quiets FreeRDP's log unless verbose. */
void probe_session_global_init(int verbose);

#endif
