/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_X224_H
#define DESKPOOL_GW_X224_H

/*
 * TPKT + X.224 Connection Request / Connection Confirm as RDP uses them (MS-RDPBCGR
 * 2.2.1.1 and 2.2.1.2). A Connection Request is one TPKT holding one X.224 CR TPDU whose
 * length indicator (LI) covers everything after it:
 *   TPKT:  03 00 len_hi len_lo                  (len = whole PDU, big-endian)
 *   X.224: LI E0 00 00 src_hi src_lo 00         (LI = TPKT len - 5)
 *   then an optional CRLF-terminated line: "Cookie: mstshash=USER", "Cookie: msts=TOKEN",
 *        or any load-balance string (xfreerdp sends /load-balance-info verbatim),
 *   then an optional RDP_NEG_REQ: 01 flags 08 00 requestedProtocols(u32 LE),
 *   then an optional RDP_CORRELATION_INFO: 06 00 24 00 correlationId[16] reserved[16]
 *        (present exactly when RDP_NEG_REQ flags say CORRELATION_INFO_PRESENT; reserved is
 *        ignored on input and sent as zeros).
 * A Connection Confirm is the same with code D0 and an optional RDP_NEG_RSP (type 02) or
 * RDP_NEG_FAILURE (type 03) in place of the line and the request.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_status.h"

/* requestedProtocols / selectedProtocol bits */
#define GW_PROTOCOL_RDP 0x00000000u
#define GW_PROTOCOL_SSL 0x00000001u
#define GW_PROTOCOL_HYBRID 0x00000002u
#define GW_PROTOCOL_RDSTLS 0x00000004u
#define GW_PROTOCOL_HYBRID_EX 0x00000008u

/* RDP_NEG_REQ flags */
#define GW_NEG_RESTRICTED_ADMIN_MODE_REQUIRED 0x01u
#define GW_NEG_REDIRECTED_AUTHENTICATION_MODE_REQUIRED 0x02u
#define GW_NEG_CORRELATION_INFO_PRESENT 0x08u

/* RDP_NEG_RSP flags */
#define GW_NEGRSP_EXTENDED_CLIENT_DATA_SUPPORTED 0x01u
#define GW_NEGRSP_DYNVC_GFX_PROTOCOL_SUPPORTED 0x02u
#define GW_NEGRSP_RESTRICTED_ADMIN_MODE_SUPPORTED 0x08u
#define GW_NEGRSP_REDIRECTED_AUTHENTICATION_MODE_SUPPORTED 0x10u

/* RDP_NEG_FAILURE failureCode */
#define GW_NEGFAIL_SSL_REQUIRED_BY_SERVER 0x00000001u
#define GW_NEGFAIL_SSL_NOT_ALLOWED_BY_SERVER 0x00000002u
#define GW_NEGFAIL_SSL_CERT_NOT_ON_SERVER 0x00000003u
#define GW_NEGFAIL_INCONSISTENT_FLAGS 0x00000004u
#define GW_NEGFAIL_HYBRID_REQUIRED_BY_SERVER 0x00000005u
#define GW_NEGFAIL_SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER 0x00000006u

/* An X.224 CR's LI is one byte (at most 254), so the whole request is at most 259 bytes. */
#define GW_X224_CR_MAX 259u
/* Longest cookie/token/load-balance line without its CRLF: what LI (254 at most) leaves
 * after the 6 fixed header bytes and the CRLF. A request that also carries RDP_NEG_REQ (8)
 * and RDP_CORRELATION_INFO (36) has room for less. */
#define GW_X224_LINE_MAX (254u - 6u - 2u)
/* Size of a Connection Confirm carrying RDP_NEG_RSP or RDP_NEG_FAILURE. */
#define GW_X224_CC_NEG_SIZE 19u
/* Size of a Connection Confirm without negotiation data (standard RDP security). */
#define GW_X224_CC_PLAIN_SIZE 11u

enum gw_x224_line_kind {
    GW_X224_LINE_NONE = 0,      /* no line (e.g. MeshCentral's client) */
    GW_X224_LINE_USER,          /* "Cookie: mstshash=USER": value is USER */
    GW_X224_LINE_ROUTING_TOKEN, /* "Cookie: msts=TOKEN": value is TOKEN */
    GW_X224_LINE_LB_INFO,       /* any other line, e.g. "tsv://MS Terminal Services Plugin.1.lab":
                                   value is the whole line */
};

struct gw_x224_cr {
    uint16_t src_ref;
    enum gw_x224_line_kind line_kind;
    char value[GW_X224_LINE_MAX + 1]; /* NUL-terminated; no CR, LF, NUL or other control */
    size_t value_len;
    int has_neg_req; /* no RDP_NEG_REQ means standard RDP security only (xfreerdp /sec:rdp) */
    uint8_t neg_flags;
    uint32_t requested_protocols;
    int has_correlation;
    uint8_t correlation_id[16];
};

enum gw_x224_cc_kind {
    GW_X224_CC_PLAIN = 0,   /* no negotiation data: standard RDP security */
    GW_X224_CC_NEG_RSP,     /* RDP_NEG_RSP: selected_protocol and flags */
    GW_X224_CC_NEG_FAILURE, /* RDP_NEG_FAILURE: failure_code */
};

struct gw_x224_cc {
    enum gw_x224_cc_kind kind;
    uint8_t flags;              /* NEG_RSP flags */
    uint32_t selected_protocol; /* NEG_RSP */
    uint32_t failure_code;      /* NEG_FAILURE */
};

/*
 * Parses the Connection Request at the start of buf (after any preconnection PDU).
 * GW_OK: *out is filled and *consumed is the TPKT length. GW_NEED_MORE: a valid prefix so
 * far (the header fields present are checked, so garbage is refused early). GW_ERROR: err
 * names the field and the value. Reads at most GW_X224_CR_MAX bytes of buf.
 */
int gw_x224_cr_parse(const uint8_t *buf, size_t len, struct gw_x224_cr *out, size_t *consumed,
                     struct dp_err *err);

/*
 * Builds a Connection Request from *cr (line_kind and value, has_neg_req, neg_flags,
 * requested_protocols, has_correlation, correlation_id; src_ref is written as given).
 * Used for the gateway's own connection to the VM; gw_x224_cr_parse gives back *cr.
 * Returns the number of bytes written, or -1 (err set) when the value holds CR, LF or a
 * control byte, is too long, or cap is too small (GW_X224_CR_MAX always suffices).
 */
int gw_x224_cr_build(const struct gw_x224_cr *cr, uint8_t *buf, size_t cap, struct dp_err *err);

/*
 * Builds a Connection Confirm from *cc: GW_X224_CC_NEG_RSP (19 bytes), GW_X224_CC_NEG_FAILURE
 * (19 bytes) or GW_X224_CC_PLAIN (11 bytes). Returns the number of bytes written, or -1 with
 * err set when cap is too small or the kind is unknown.
 */
int gw_x224_cc_build(const struct gw_x224_cc *cc, uint8_t *buf, size_t cap, struct dp_err *err);

/*
 * Parses the Connection Confirm at the start of buf (the VM's answer to our request).
 * Same contract as gw_x224_cr_parse; *consumed is the TPKT length on GW_OK.
 */
int gw_x224_cc_parse(const uint8_t *buf, size_t len, struct gw_x224_cc *out, size_t *consumed,
                     struct dp_err *err);

#endif
