/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_CLASSIFY_H
#define DESKPOOL_PROBE_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "probe_status.h"

/*
 * How far a failed connection attempt got, as seen from FreeRDP's connection-state events.
 * FreeRDP's last error alone cannot tell a wrong password from a dead server: a FreeRDP
 * server answers a failed NTLM logon by dropping TCP, which the client reports as a plain
 * transport failure (FACTS.md). What separates them is whether the server had already
 * answered our NTLM NEGOTIATE (it sent a CHALLENGE, so it was reading our AUTHENTICATE when
 * it hung up) and whether NLA was ever left for the MCS phase.
 */
struct probe_progress {
    int reached_nla;    /* TLS is up and CredSSP started */
    int nla_answered;   /* the server sent bytes while we were in CredSSP */
    int passed_nla;     /* reached the MCS phase (CredSSP succeeded, or no NLA) */
    int connected;      /* freerdp_connect succeeded (session active) */
    int timed_out;      /* our deadline passed before freerdp_connect returned */
    int dropped_in_mcs; /* the server hung up in the MCS connect phase */
    const char *state;  /* FreeRDP's state name when it stopped, for messages */
};

/*
 * Maps FreeRDP's last error (freerdp_get_last_error) plus progress to an exit status and a
 * message for a person: what failed and what to do. target is "host:port".
 */
enum probe_status probe_classify_failure(uint32_t freerdp_error, const char *error_name,
                                         const struct probe_progress *p, const char *target,
                                         unsigned timeout_ms, char *msg, size_t msg_size);

/*
 * --logoff: how the session ended after "logoff" + Enter was typed. ended is 0 when it was
 * still open at the timeout; error_info is what the server sent in its Set Error Info PDU
 * (0: none), info_name its name. PROBE_OK only for ERRINFO_LOGOFF_BY_USER; still open is
 * PROBE_NO_FRAME; any other end PROBE_ERROR, with a message naming the code.
 */
enum probe_status probe_classify_logoff(int ended, uint32_t error_info, const char *info_name,
                                        const char *target, unsigned timeout_ms, char *msg,
                                        size_t msg_size);

#endif
