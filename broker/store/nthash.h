/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_NTHASH_H
#define DESKPOOL_BROKER_NTHASH_H

/*
 * NTLM hashes for NLA. The store keeps each user's NT hash (encrypted, secretbox.h); at
 * login the gateway gets only the NTOWFv2 hash for the user and domain the client sent,
 * which is what WinPR's ComputeNtlmHash callback must return.
 */
#include <stdint.h>

struct dp_err;

/* NT hash = MD4(UTF-16LE(password)) of a UTF-8 password (via WinPR). Refuses invalid UTF-8.
 * "password" -> 8846f7eaee8fb117ad06bdd830b7586c. */
int nt_hash(const char *password, uint8_t out[16], struct dp_err *err);

/*
 * NTOWFv2 = HMAC-MD5(key = NT hash, UTF-16LE(UPPER(user) + domain)), the upper-casing being
 * WinPR's (so it matches what WinPR-based clients and the gateway compute; ASCII names match
 * Windows too). user and domain are UTF-8 as the client sent them; domain may be "".
 */
int ntowfv2(const uint8_t nt[16], const char *user, const char *domain, uint8_t out[16],
            struct dp_err *err);

#endif
