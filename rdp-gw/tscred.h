/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_TSCRED_H
#define DESKPOOL_GW_TSCRED_H

/*
 * TSCredentials carrying TSPasswordCreds (MS-CSSP 2.2.1.2), DER, as the gateway delegates
 * the injected one-time credential to a VM:
 *   TSCredentials   ::= SEQUENCE { credType [0] INTEGER (1), credentials [1] OCTET STRING }
 *   TSPasswordCreds ::= SEQUENCE { domainName [0] OCTET STRING, userName [1] OCTET STRING,
 *                                  password [2] OCTET STRING }      -- UTF-16LE each
 */
#include <stddef.h>
#include <stdint.h>

struct dp_err;

/*
 * Encodes the three UTF-16LE strings (byte lengths, each at most 32 KiB) into a malloc'd
 * *out. The caller wipes and frees it: it holds a password. Returns 0 or -1.
 */
int gw_tscred_encode(const uint8_t *domain, size_t domain_len, const uint8_t *user, size_t user_len,
                     const uint8_t *password, size_t password_len, uint8_t **out, size_t *out_len,
                     struct dp_err *err);

#endif
