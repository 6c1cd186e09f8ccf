/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_TLS_H
#define DESKPOOL_GW_TLS_H

/*
 * The gateway's three TLS roles, all OpenSSL: server towards thin clients (its own
 * certificate), client towards desktop VMs, client towards the broker. CredSSP binds its
 * NTLM exchange to the TLS server's public key, so both RDP roles also hand out the DER
 * SubjectPublicKey (what FreeRDP's crypto_cert_get_public_key yields: i2d_PublicKey).
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct dp_err;

/* A public key as CredSSP hashes it. */
struct gw_pubkey {
    uint8_t *der;
    size_t len;
};

/*
 * Makes sure cert_file and key_file exist: when either is missing, generates a
 * self-signed RSA-2048 certificate (SHA-256, 10 years, CN = common_name) and writes both,
 * the key with mode 0600. Returns 1 if it generated, 0 if both existed, -1 on error.
 */
int gw_tls_ensure_cert(const char *cert_file, const char *key_file, const char *common_name,
                       struct dp_err *err);

/*
 * Server context for RDP clients from a PEM certificate (chain) and key; TLS 1.2 or later.
 * *pub receives the certificate's public key (free with gw_pubkey_free).
 */
SSL_CTX *gw_tls_server_ctx(const char *cert_file, const char *key_file, struct gw_pubkey *pub,
                           struct dp_err *err);

/*
 * Client context for desktop VMs. The VM's certificate is not verified: VMs of a template
 * share a self-signed one and sit on the host's private network; CredSSP still binds the
 * injected login to the key the VM presented, so a man in the middle learns nothing usable
 * beyond that one-time credential.
 */
SSL_CTX *gw_tls_backend_ctx(struct dp_err *err);

/*
 * Client context for the broker: verifies against ca_file when given, or accepts exactly
 * the certificate whose SHA-256 is pin_hex when given (both may be set: either suffices).
 * With neither, the system's default CA store is used.
 */
SSL_CTX *gw_tls_broker_ctx(const char *ca_file, const char *pin_hex, struct dp_err *err);

/* The public key of the peer's certificate on a finished handshake. 0 or -1. */
int gw_tls_peer_pubkey(SSL *ssl, struct gw_pubkey *pub, struct dp_err *err);

void gw_pubkey_free(struct gw_pubkey *pub);

#endif
