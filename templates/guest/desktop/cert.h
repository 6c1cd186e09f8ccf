/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_CERT_H
#define DESKPOOL_DESKTOP_CERT_H

#include <stddef.h>

struct dp_err;

/*
 * The server's TLS identity: DIR/tls.crt and DIR/tls.key. When either is missing, a new
 * self-signed RSA-2048 certificate (SHA-256, 10 years, CN = common_name) replaces both,
 * the key written with mode 0600. Clones of one template share the template's pair unless
 * the state folder is per VM; RDP clients pin or ignore server certificates anyway.
 * Fills crt_path and key_path (each of size n). Returns 1 if it generated, 0 if it reused, -1.
 */
int cert_ensure(const char *dir, const char *common_name, char *crt_path, char *key_path, size_t n,
                struct dp_err *err);

#endif
