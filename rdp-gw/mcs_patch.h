/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_MCS_PATCH_H
#define DESKPOOL_GW_MCS_PATCH_H

/*
 * In-place patch of the client's MCS Connect Initial on its way to the VM. The client
 * negotiated with the gateway, the gateway negotiated again with the VM, so three fields of
 * the client's GCC user data would tell the VM something untrue:
 *   - TS_UD_CS_CORE (0xC001) serverSelectedProtocol, at byte 212 of the block: what the
 *     gateway selected towards the VM (a server checks it against its own choice);
 *   - TS_UD_CS_MULTITRANSPORT (0xC00A) flags, at byte 4: zeroed, since UDP side channels
 *     cannot pass the gateway;
 *   - TS_UD_CS_CLUSTER (0xC004) flags, at byte 4: REDIRECTION_SUPPORTED cleared, since a
 *     redirection would send the client around the gateway.
 * Nothing changes length, so the TPKT, BER and PER lengths stay valid. The walk it does:
 *   TPKT (03 00 len) | X.224 Data (02 F0 80) | BER [APPLICATION 101] (7F 65 len) {
 *     callingDomainSelector, calledDomainSelector OCTET STRING, upwardFlag BOOLEAN,
 *     3 x DomainParameters SEQUENCE, userData OCTET STRING {
 *       PER GCC: 00 05 00 14 7C 00 01 (T.124 key) | len | ConnectGCCPDU: 00 08 (create
 *       request, userData only) | conferenceName (numeric string) | 00 | 01 (one set) |
 *       C0 (h221NonStandard) | 00 "Duca" | len | user data blocks (type u16, length u16) }}
 * PER lengths may be 1 or 2 bytes (15 bits, as FreeRDP writes them), BER lengths short or
 * long form (up to 2 length bytes).
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_status.h"

#define GW_CS_CORE 0xC001u
#define GW_CS_CLUSTER 0xC004u
#define GW_CS_MULTITRANSPORT 0xC00Au
#define GW_CS_CORE_SELECTED_PROTOCOL_OFFSET 212u
#define GW_CLUSTER_REDIRECTION_SUPPORTED 0x00000001u

struct gw_mcs_patch_report {
    size_t consumed;    /* the TPKT length: the Connect Initial ends there */
    size_t core_offset; /* where the TS_UD_CS_CORE block starts in the buffer */
    size_t core_len;
    int selected_protocol_patched; /* the block was long enough to hold the field */
    uint32_t old_selected_protocol;
    int multitransport_patched; /* a TS_UD_CS_MULTITRANSPORT block was present */
    size_t multitransport_offset;
    uint32_t old_multitransport_flags;
    int cluster_patched; /* a TS_UD_CS_CLUSTER block was present */
    size_t cluster_offset;
    uint32_t old_cluster_flags;
};

/*
 * Validates the MCS Connect Initial at the start of buf (every length against its
 * container, blocks tiling the user data exactly, each of the three blocks at most once,
 * TS_UD_CS_CORE present) and only then patches it in place: serverSelectedProtocol :=
 * selected_protocol (only if the core block reaches byte 216), multitransport flags := 0,
 * cluster flags &= ~REDIRECTION_SUPPORTED. GW_OK: *rep says what was there before and what
 * was written; bytes past rep->consumed are untouched. GW_NEED_MORE: the TPKT is not complete
 * yet (nothing written). GW_ERROR: err says where the structure broke (nothing written).
 */
int gw_mcs_patch_connect_initial(uint8_t *buf, size_t len, uint32_t selected_protocol,
                                 struct gw_mcs_patch_report *rep, struct dp_err *err);

#endif
