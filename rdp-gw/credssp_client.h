/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_CREDSSP_CLIENT_H
#define DESKPOOL_GW_CREDSSP_CLIENT_H

/*
 * CredSSP as a client towards a desktop VM, with WinPR's NTLM: logs in with the one-time
 * credential the broker set in the VM, so the user never learns it. A byte-driven state
 * machine like the server side: TSRequests in, TSRequests to send out, no I/O.
 *   start  -> NEGOTIATE
 *   input(CHALLENGE)            -> AUTHENTICATE + pubKeyAuth (+ clientNonce)
 *   input(server's pubKeyAuth)  -> authInfo (TSCredentials), GW_CSSP_DONE
 * Steps are the enum gw_cssp_step of credssp_server.h; GW_CSSP_DENIED means the VM sent an
 * NTSTATUS (its errorCode is in gw_cssp_client_error).
 */
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "credssp_server.h"
#include "tls.h"

struct dp_err;
struct gw_cssp_client;

/*
 * A client for one login (user, domain may be "", password: UTF-8; all copied, the
 * password wiped on free). vm_pub is the public key of the VM's TLS certificate.
 */
struct gw_cssp_client *gw_cssp_client_new(const char *user, const char *domain,
                                          const char *password, const struct gw_pubkey *vm_pub,
                                          struct dp_err *err);
void gw_cssp_client_free(struct gw_cssp_client *c);

/* Appends the first TSRequest (NTLM NEGOTIATE) to out. GW_CSSP_SEND or GW_CSSP_FAIL. */
int gw_cssp_client_start(struct gw_cssp_client *c, struct evbuffer *out, struct dp_err *err);

/* Takes one whole TSRequest from the VM; appends the answer to out; returns the step. */
int gw_cssp_client_input(struct gw_cssp_client *c, const uint8_t *pdu, size_t len,
                         struct evbuffer *out, struct dp_err *err);

/* The NTSTATUS the VM reported with GW_CSSP_DENIED (0 if none). */
uint32_t gw_cssp_client_error(const struct gw_cssp_client *c);

#endif
