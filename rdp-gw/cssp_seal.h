/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_CSSP_SEAL_H
#define DESKPOOL_GW_CSSP_SEAL_H

/*
 * What both CredSSP roles (MS-CSSP 3.1.5) do once NTLM has finished: seal and unseal
 * pubKeyAuth and authInfo with the NTLM session keys, and compute the public-key binding:
 *   version 2-4: the TLS server's SubjectPublicKey itself; the server answers with the
 *                same bytes incremented by one (little-endian), proving it holds the keys;
 *   version 5-6: SHA-256("CredSSP Client-To-Server Binding Hash\0" || clientNonce ||
 *                SubjectPublicKey), the server answering with the "Server-To-Client" magic.
 */
#include <stddef.h>
#include <stdint.h>

#include <winpr/sspi.h>

struct dp_err;

#define GW_CSSP_VERSION 6u

struct gw_cssp_ntlm {
    SecurityFunctionTableA *table;
    CredHandle cred;
    CtxtHandle ctx;
    int have_cred;
    int have_ctx;
    ULONG trailer; /* cbSecurityTrailer (16 for NTLM) once the context is complete */
    ULONG send_seq;
    ULONG recv_seq;
};

/* The SSPI function table (WinPR's own NTLM, never a native module). NULL on failure. */
SecurityFunctionTableA *gw_cssp_table(void);

/* Releases the context and credentials; safe on a zeroed struct. */
void gw_cssp_ntlm_free(struct gw_cssp_ntlm *n);

/* Reads the trailer size from a finished context. 0 or -1. */
int gw_cssp_ntlm_sizes(struct gw_cssp_ntlm *n, struct dp_err *err);

/*
 * Binding value to seal (client_to_server) or to expect (!client_to_server) for the
 * negotiated version. For versions before 5 and the server's direction the key is
 * incremented. *out is malloc'd. Returns 0 or -1.
 */
int gw_cssp_binding(uint32_t version, int client_to_server, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *pubkey, size_t pubkey_len, uint8_t **out, size_t *out_len,
                    struct dp_err *err);

/* signature || encrypted(data), with the next send sequence number. *out is malloc'd. */
int gw_cssp_seal(struct gw_cssp_ntlm *n, const uint8_t *data, size_t len, uint8_t **out,
                 size_t *out_len, struct dp_err *err);

/*
 * Checks and decrypts signature || encrypted data with the next receive sequence number.
 * *out is malloc'd plaintext (the caller wipes it when it held secrets). Returns 0, or -1
 * when the signature does not verify (wrong keys, tampering).
 */
int gw_cssp_unseal(struct gw_cssp_ntlm *n, const uint8_t *in, size_t len, uint8_t **out,
                   size_t *out_len, struct dp_err *err);

#endif
