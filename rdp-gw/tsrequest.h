/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_TSREQUEST_H
#define DESKPOOL_GW_TSREQUEST_H

/*
 * CredSSP TSRequest (MS-CSSP 2.2.1), DER:
 *   TSRequest ::= SEQUENCE {
 *     version     [0] INTEGER,
 *     negoTokens  [1] SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } OPTIONAL,
 *     authInfo    [2] OCTET STRING OPTIONAL,
 *     pubKeyAuth  [3] OCTET STRING OPTIONAL,
 *     errorCode   [4] INTEGER OPTIONAL,        -- version 3 and later
 *     clientNonce [5] OCTET STRING OPTIONAL }  -- version 5 and later, 32 bytes
 * Tags are explicit ([n] wraps the inner TLV). Decoding borrows: the pointers in a decoded
 * struct point into the caller's buffer and live as long as it does.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_status.h"

/* Largest whole TSRequest accepted. NTLM rounds are a few hundred bytes; the margin is for
 * long user/domain names and for authInfo with smartcard credentials. */
#define GW_TSREQUEST_MAX 65536u
#define GW_TSREQUEST_NONCE_SIZE 32u

struct gw_tsrequest {
    uint32_t version;
    /* Optional octet strings: NULL when absent. A present empty string has a non-NULL
     * pointer and length 0. */
    const uint8_t *nego_token; /* the first NegoData's negoToken */
    size_t nego_token_len;
    size_t nego_token_count; /* how many NegoData the sequence held (decode only) */
    const uint8_t *auth_info;
    size_t auth_info_len;
    const uint8_t *pub_key_auth;
    size_t pub_key_auth_len;
    int has_error_code;
    uint32_t error_code; /* an NTSTATUS, e.g. 0xC000006D STATUS_LOGON_FAILURE */
    const uint8_t *client_nonce;
    size_t client_nonce_len; /* GW_TSREQUEST_NONCE_SIZE when present */
};

/*
 * Tells from the first bytes how long the whole TSRequest is, so the event loop knows when
 * it holds one. GW_OK: *total is its length (it may be more than len: read up to *total
 * bytes, then decode). GW_NEED_MORE: not even the outer DER header is complete (at most 6
 * bytes are needed). GW_ERROR: not a DER SEQUENCE, a length form CredSSP never uses, or
 * more than GW_TSREQUEST_MAX.
 */
int gw_tsrequest_frame_len(const uint8_t *buf, size_t len, size_t *total, struct dp_err *err);

/*
 * Decodes the TSRequest at the start of buf. GW_OK: *out is filled (pointers into buf) and
 * *consumed is its length. GW_NEED_MORE: buf holds only part of it. GW_ERROR: err names the
 * field; every inner length is checked against its container, fields must come in tag order
 * and each once, [0] version is required, unknown fields are refused.
 */
int gw_tsrequest_decode(const uint8_t *buf, size_t len, struct gw_tsrequest *out, size_t *consumed,
                        struct dp_err *err);

/*
 * Length gw_tsrequest_encode would write for *req, or 0 if *req cannot be encoded (a field
 * over GW_TSREQUEST_MAX, or the whole over GW_TSREQUEST_MAX).
 */
size_t gw_tsrequest_encoded_len(const struct gw_tsrequest *req);

/*
 * Encodes *req as DER into buf (cap bytes); fields with a NULL pointer (and errorCode
 * without has_error_code) are left out, nego_token becomes a one-element negoTokens.
 * Returns the number of bytes written, or -1 with err set (too small a buffer, too large a
 * request). Integers are minimal two's complement: errorCode is written as the signed 32-bit
 * NTSTATUS it is, as Windows and FreeRDP do.
 */
int gw_tsrequest_encode(const struct gw_tsrequest *req, uint8_t *buf, size_t cap,
                        struct dp_err *err);

#endif
