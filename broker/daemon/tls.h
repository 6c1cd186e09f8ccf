/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_TLS_H
#define DESKPOOL_BROKER_TLS_H

/* The HTTPS listener's TLS: its certificate (self-signed on first start) and context. */
#include <openssl/ssl.h>

struct dp_err;

/*
 * Makes sure cert_path and key_path exist: if neither does, writes a new self-signed
 * RSA-2048 certificate for this host name (and localhost, 127.0.0.1), valid ten years,
 * with the key mode 0600. One without the other is an error (an admin's half-replaced
 * pair must not be overwritten).
 */
int https_cert_ensure(const char *cert_path, const char *key_path, struct dp_err *err);

/* A server context (TLS 1.2 or newer) with that certificate and key; NULL on failure. */
SSL_CTX *https_ssl_ctx(const char *cert_path, const char *key_path, struct dp_err *err);

#endif
