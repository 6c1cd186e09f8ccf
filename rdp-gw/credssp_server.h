/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_CREDSSP_SERVER_H
#define DESKPOOL_GW_CREDSSP_SERVER_H

/*
 * CredSSP as a server towards the thin client, with WinPR's NTLM (MS-CSSP over MS-NLMP),
 * as a byte-driven state machine: whole TSRequests in, TSRequests to send out, no I/O.
 * The one thing it cannot know is the user's hash: when the AUTHENTICATE message arrives
 * it stops with GW_CSSP_NEED_HASH and the user/domain from that message; the caller
 * fetches the NTOWFv2 hash (from the broker, asynchronously) and resumes with
 * gw_cssp_server_set_hash. The password the client delegates in authInfo is decrypted
 * (CredSSP requires the server to take it) and wiped at once: the gateway logs into the
 * VM with other credentials.
 */
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "ntlm_msg.h"
#include "tls.h"

struct dp_err;

enum gw_cssp_step {
    GW_CSSP_FAIL = -1,     /* protocol error: close (err says why) */
    GW_CSSP_SEND = 0,      /* out holds a TSRequest to send; then read the next one */
    GW_CSSP_NEED_HASH = 1, /* fetch the hash for gw_cssp_server_names(), then set_hash */
    GW_CSSP_DENIED = 2,    /* wrong password or unknown user: send out (may be empty), close */
    GW_CSSP_DONE = 3,      /* the user is authenticated and authInfo consumed */
};

struct gw_cssp_server;

/* A server bound to the gateway's TLS public key (copied). NULL with err on failure. */
struct gw_cssp_server *gw_cssp_server_new(const struct gw_pubkey *tls_pub, struct dp_err *err);
void gw_cssp_server_free(struct gw_cssp_server *s);

/*
 * Takes one whole TSRequest from the client (gw_tsrequest_frame_len tells its length).
 * Appends any answer to out and returns the next step.
 */
int gw_cssp_server_input(struct gw_cssp_server *s, const uint8_t *pdu, size_t len,
                         struct evbuffer *out, struct dp_err *err);

/* The user and domain the AUTHENTICATE message named (valid after GW_CSSP_NEED_HASH). */
const struct gw_ntlm_auth *gw_cssp_server_names(const struct gw_cssp_server *s);

/*
 * Resumes after GW_CSSP_NEED_HASH with the user's NTOWFv2 hash, or NULL when there is none
 * (unknown, disabled or locked user: the client sees the same failure as for a wrong
 * password). Returns GW_CSSP_SEND (the server's pubKeyAuth is in out), GW_CSSP_DENIED, or
 * GW_CSSP_FAIL. The hash is copied into WinPR's context only.
 */
int gw_cssp_server_set_hash(struct gw_cssp_server *s, const uint8_t *ntowfv2, struct evbuffer *out,
                            struct dp_err *err);

/*
 * Ends the exchange with an NTSTATUS in a TSRequest's errorCode (client versions 3, 4, 6;
 * nothing for older ones) instead of the next step: for a user who authenticated but may
 * not have a desktop (STATUS_ACCESS_DENIED: FreeRDP shows ERRCONNECT_ACCESS_DENIED).
 * Returns GW_CSSP_DENIED; send out, then close.
 */
int gw_cssp_server_refuse(struct gw_cssp_server *s, uint32_t ntstatus, struct evbuffer *out,
                          struct dp_err *err);

/* The CredSSP version both sides settled on (0 before the first TSRequest). */
uint32_t gw_cssp_server_version(const struct gw_cssp_server *s);

#endif
