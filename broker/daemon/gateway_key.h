/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_GATEWAY_KEY_H
#define DESKPOOL_BROKER_GATEWAY_KEY_H

/* The key gateways present as "Authorization: Bearer KEY" on HTTPS. */
#include <stddef.h>

struct dp_err;

/*
 * Loads the key text (one line; surrounding white space ignored) from path into out. If the
 * file does not exist, first creates it with mode 0600 holding 32 random bytes as 64 hex
 * digits. Refuses a file readable by group or others (saying chmod 600), a key shorter than
 * 32 characters, or one that does not fit cap.
 */
int gateway_key_load(const char *path, char *out, size_t cap, struct dp_err *err);

#endif
