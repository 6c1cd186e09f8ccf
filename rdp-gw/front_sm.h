/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_FRONT_SM_H
#define DESKPOOL_GW_FRONT_SM_H

/*
 * The decision the gateway makes on a client's first bytes, with no I/O: an optional
 * preconnection PDU, then the X.224 Connection Request. The caller feeds everything read so
 * far and acts on the verdict:
 *   NEED_MORE  read more (the bytes are a valid prefix);
 *   ERROR      not RDP: close without answering;
 *   REFUSE     send reply (an RDP_NEG_FAILURE) and close: the client offered neither NLA
 *              nor anything the gateway accepts (standard RDP security, TLS only);
 *   NLA        send reply (a Connection Confirm selecting HYBRID or HYBRID_EX), then TLS;
 *   TOKEN      a broker routing token (Cookie: msts=): redeem it, then splice raw TCP to
 *              the VM, replaying the client's first bytes to it (end-to-end TLS).
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "preconnection.h"
#include "x224.h"

/* Most bytes the two PDUs can take together; a client that sends more before an answer
 * is not a well-behaved RDP client. */
#define GW_FRONT_MAX_FIRST (GW_PCB_MAX_SIZE + GW_X224_CR_MAX)
/* Longest pool name taken from load-balance info or a preconnection blob. */
#define GW_POOL_NAME_MAX 64

enum gw_front_verdict {
    GW_FRONT_ERROR = -1,
    GW_FRONT_NEED_MORE = 0,
    GW_FRONT_REFUSE,
    GW_FRONT_NLA,
    GW_FRONT_TOKEN,
};

struct gw_front_decision {
    enum gw_front_verdict verdict;
    size_t consumed; /* bytes of preconnection PDU + Connection Request */
    uint8_t reply[GW_X224_CC_NEG_SIZE];
    size_t reply_len;
    uint32_t selected_protocol; /* NLA: what the Connection Confirm selected */
    int has_pcb;
    struct gw_preconnection pcb;
    struct gw_x224_cr cr;
    char pool[GW_POOL_NAME_MAX + 1]; /* "" = the user's default pool */
    const char *why;                 /* REFUSE: a short reason for the log */
};

/*
 * Decides on buf[0..len). offer_hybrid_ex: select HYBRID_EX when the client asks for it
 * (off by default because FreeRDP 2.x clients request it with /sec:ext yet cannot connect
 * when a server selects it). The decision is final once verdict != NEED_MORE; len beyond
 * GW_FRONT_MAX_FIRST without a complete request is an ERROR. err explains ERROR.
 */
int gw_front_decide(const uint8_t *buf, size_t len, int offer_hybrid_ex,
                    struct gw_front_decision *d, struct dp_err *err);

/*
 * The pool a client named: "tsv://MS Terminal Services Plugin.1.POOL" (what mstsc and RD
 * Web put in .rdp files), or a bare pool name. Pool names are 1..GW_POOL_NAME_MAX of
 * [A-Za-z0-9._-]. Returns 0 and fills pool, or -1 when text names no pool.
 */
int gw_front_pool_from_text(const char *text, char pool[GW_POOL_NAME_MAX + 1]);

#endif
