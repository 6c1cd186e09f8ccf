/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_NTLM_MSG_H
#define DESKPOOL_GW_NTLM_MSG_H

/*
 * NTLM messages (MS-NLMP 2.2.1) as they travel in a TSRequest negoToken. The gateway reads
 * the user and domain out of the AUTHENTICATE message before WinPR sees it, because it must
 * fetch that user's hash from the broker first. AUTHENTICATE layout (little-endian):
 *   0 "NTLMSSP\0" | 8 MessageType=3 | 12 LmChallengeResponseFields | 20 NtChallengeResponse
 *   28 DomainNameFields | 36 UserNameFields | 44 WorkstationFields | 52 EncryptedRandom-
 *   SessionKeyFields | 60 NegotiateFlags | 64 Version (8) | 72 MIC (16) | payload
 * where each *Fields is Len u16, MaxLen u16, BufferOffset u32 (from the message start).
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GW_NTLM_NEGOTIATE 1u
#define GW_NTLM_CHALLENGE 2u
#define GW_NTLM_AUTHENTICATE 3u

#define GW_NTLMSSP_NEGOTIATE_UNICODE 0x00000001u

/* Longest user or domain name accepted, in UTF-16 units (a UPN is at most 256 characters). */
#define GW_NTLM_NAME_MAX_UNITS 256u

struct gw_ntlm_auth {
    uint32_t negotiate_flags;
    char user[3 * GW_NTLM_NAME_MAX_UNITS + 1]; /* UTF-8, NUL-terminated; may be empty */
    size_t user_len;
    char domain[3 * GW_NTLM_NAME_MAX_UNITS + 1]; /* UTF-8, NUL-terminated; may be empty */
    size_t domain_len;
};

/*
 * Which NTLM message a token holds: GW_NTLM_NEGOTIATE, _CHALLENGE or _AUTHENTICATE, or -1
 * with err set when it does not start with "NTLMSSP\0" and a known MessageType (12 bytes).
 * The token must be whole (it comes out of a decoded TSRequest).
 */
int gw_ntlm_message_type(const uint8_t *msg, size_t len, struct dp_err *err);

/*
 * Reads UserName and DomainName out of a whole AUTHENTICATE message. Every Len/BufferOffset
 * pair is checked against len before use; names must be UTF-16LE (NTLMSSP_NEGOTIATE_UNICODE
 * set, as every CredSSP client does), even in length, valid UTF-16 without NUL, and at most
 * GW_NTLM_NAME_MAX_UNITS long. Returns 0, or -1 with err set; *out is zeroed on failure.
 */
int gw_ntlm_auth_names(const uint8_t *msg, size_t len, struct gw_ntlm_auth *out,
                       struct dp_err *err);

#endif
