/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_REDIRECT_DETECT_H
#define DESKPOOL_GW_REDIRECT_DETECT_H

/*
 * Server-to-client PDU framing for the relay, and the one verdict it needs: is this an
 * Enhanced Security Server Redirection PDU (MS-RDPBCGR 2.2.13.3.1), which would send the
 * client to the VM directly, around the gateway? Input is TLS plaintext from the VM.
 * The bytes looked at, in order:
 *   [0]       0x03: TPKT (slow path). Otherwise the low two bits must be 0: a fast-path
 *             output PDU, length in [1] (or [1]&0x7F,[2] when [1] has 0x80); never a
 *             redirection.
 *   [2..3]    TPKT length, big-endian, at least 7.
 *   [4..6]    02 F0 80: X.224 Data TPDU. Anything else is passed on (not MCS data).
 *   [7]       MCS DomainMCSPDU choice in the top 6 bits; 26 (0x68) = Send Data Indication.
 *             Other MCS PDUs are passed on.
 *   [8..9]    initiator; [10..11] channelId, big-endian: only the I/O channel carries
 *             share control PDUs (virtual channels carry opaque data that could look like
 *             anything); [12] dataPriority/segmentation;
 *   [13..]    PER length of the user data (1 byte, or 2 with 0x80 set): must end at the
 *             TPKT's end.
 *   user data: TS_SHARECONTROLHEADER totalLength u16 LE, pduType u16 LE; the PDU is a
 *             redirection when (pduType & 0x0F) == 0x0A (PDUTYPE_SERVER_REDIR_PKT). Several
 *             share control PDUs may follow each other; every one is checked. A totalLength
 *             of 0x8000 is an 8-byte T.128 flow PDU. A chain that stops making sense (length
 *             < 4 or past the end) ends the walk: it is not a redirection we could recognise.
 * Standard RDP Security redirection (a security header with SEC_REDIRECTION_PKT) is not
 * detected: the gateway always uses TLS towards the VM, where that form is not allowed.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_status.h"

/* The I/O channel id every RDP server assigns (MCS_GLOBAL_CHANNEL_ID). */
#define GW_MCS_IO_CHANNEL 1003u

struct gw_s2c_pdu {
    size_t len;         /* bytes of this PDU: forward or drop exactly this many */
    int fastpath;       /* fast-path output PDU */
    int redirect;       /* a Server Redirection PDU: drop it */
    size_t redirect_at; /* offset of the redirecting share control header */
    uint16_t channel;   /* MCS channel of a Send Data Indication (0 otherwise) */
};

/*
 * Frames the server-to-client PDU at the start of buf and decides whether it is a
 * redirection. io_channel is the MCS I/O channel id (GW_MCS_IO_CHANNEL unless the Connect
 * Response said otherwise). GW_OK: *out is filled. GW_NEED_MORE: the whole PDU is not in
 * buf yet (the verdict needs all of it, a redirection may follow another PDU). GW_ERROR:
 * neither TPKT nor fast path, or lengths that contradict each other; err says which.
 */
int gw_redirect_detect(const uint8_t *buf, size_t len, uint16_t io_channel, struct gw_s2c_pdu *out,
                       struct dp_err *err);

#endif
