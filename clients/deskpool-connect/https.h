/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_HTTPS_H
#define DESKPOOL_CONNECT_HTTPS_H

/*
 * One HTTP/1.1 request over TLS (OpenSSL) to the broker, with a timeout. Nothing is sent until
 * the broker's certificate is trusted, so a password never reaches an impostor:
 *   insecure -> anything (tests);  ca_file -> it must chain to that CA and name the host;
 *   pin      -> its SHA-256 must be the pin;  otherwise -> the system's CAs must vouch for it.
 * An untrusted certificate is HTTP_UNTRUSTED with peer->fingerprint set, so the caller can
 * show it, ask (trust on first use) and call again with the pin.
 */
#include "connect.h"
#include "http.h"

struct dp_err;

struct https_trust {
    const char *ca_file; /* NULL: the system's CAs */
    const char *pin;     /* 64 hex digits, or NULL/"" */
    int insecure;
};

struct https_peer {
    char fingerprint[CONN_FP_LEN + 1]; /* SHA-256 of the certificate seen ("" before TLS) */
    int pin_mismatch;                  /* a pin was given and this is not it */
    char why[256];                     /* why the CAs did not vouch for it */
};

/* req NULL: only the handshake and the verdict (resp untouched), to ask about a certificate
 * before asking for a password. */
int https_request(const struct broker_addr *a, const struct https_trust *trust,
                  const struct http_request *req, const char *bearer, int timeout_ms,
                  struct http_response *resp, struct https_peer *peer, struct dp_err *err);

#endif
