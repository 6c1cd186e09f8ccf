/* SPDX-License-Identifier: Apache-2.0 */
#include "tls.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "files.h"

static const char *ossl_reason(void)
{
    static char buf[256];
    unsigned long e = ERR_get_error();
    if (!e)
        return "no OpenSSL detail";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

void gw_pubkey_free(struct gw_pubkey *pub)
{
    if (!pub)
        return;
    free(pub->der);
    pub->der = NULL;
    pub->len = 0;
}

static int pubkey_of(X509 *cert, struct gw_pubkey *pub, struct dp_err *err)
{
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    if (!pk) {
        dp_err_set(err, "certificate has no readable public key (%s)", ossl_reason());
        return -1;
    }
    int n = i2d_PublicKey(pk, NULL);
    if (n <= 0) {
        dp_err_set(err, "cannot encode the certificate's public key (%s)", ossl_reason());
        return -1;
    }
    pub->der = malloc((size_t)n);
    if (!pub->der) {
        dp_err_set(err, "out of memory for a public key");
        return -1;
    }
    uint8_t *p = pub->der;
    i2d_PublicKey(pk, &p);
    pub->len = (size_t)n;
    return 0;
}

int gw_tls_ensure_cert(const char *cert_file, const char *key_file, const char *common_name,
                       struct dp_err *err)
{
    if (dp_path_exists(cert_file) && dp_path_exists(key_file))
        return 0;

    int rc = -1;
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    BIO *kb = BIO_new(BIO_s_mem());
    BIO *cb = BIO_new(BIO_s_mem());
    if (!pk || !x || !kb || !cb) {
        dp_err_set(err, "cannot generate a TLS key (%s)", ossl_reason());
        goto out;
    }
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, pk, EVP_sha256()) || !PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, 0, 0) ||
        !PEM_write_bio_X509(cb, x)) {
        dp_err_set(err, "cannot sign or encode the self-signed certificate (%s)", ossl_reason());
        goto out;
    }
    char *kd, *cd;
    long kl = BIO_get_mem_data(kb, &kd);
    long cl = BIO_get_mem_data(cb, &cd);
    if (dp_write_file_atomic(key_file, kd, (size_t)kl, 0600, err) < 0 ||
        dp_write_file_atomic(cert_file, cd, (size_t)cl, 0644, err) < 0)
        goto out;
    rc = 1;
out:
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

SSL_CTX *gw_tls_server_ctx(const char *cert_file, const char *key_file, struct gw_pubkey *pub,
                           struct dp_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        dp_err_set(err, "cannot create a TLS server context (%s)", ossl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* RDP clients do not resume sessions across connections in a way that helps here. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* An idle relayed session should not pin OpenSSL's 2 x ~34 KiB record buffers: they are
     * released between records and taken again when bytes flow (bench/gw_bench.sh measured
     * ~79 KiB per idle connection on the TLS relay path without this). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        dp_err_set(err, "cannot load the gateway certificate %s (%s); fix [gateway] certificate",
                   cert_file, ossl_reason());
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        dp_err_set(err, "cannot load the gateway key %s or it does not match %s (%s)", key_file,
                   cert_file, ossl_reason());
        goto fail;
    }
    if (pubkey_of(SSL_CTX_get0_certificate(ctx), pub, err) < 0)
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *gw_tls_backend_ctx(struct dp_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        dp_err_set(err, "cannot create a TLS client context (%s)", ossl_reason());
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); /* as for the client side, see above */
    return ctx;
}

/* The pin lives in the context's ex data so the verify callback can reach it. */
static int pin_index = -1;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c - 'a' + 10;
}

static int broker_verify(int preverify, X509_STORE_CTX *xs)
{
    if (X509_STORE_CTX_get_error_depth(xs) != 0)
        return 1; /* judge the chain by its leaf: the pin or the CA verdict on it */
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    const char *pin = SSL_CTX_get_ex_data(ctx, pin_index);
    if (pin && pin[0]) {
        unsigned char md[32];
        unsigned int n = sizeof md;
        X509 *leaf = X509_STORE_CTX_get_current_cert(xs);
        if (leaf && X509_digest(leaf, EVP_sha256(), md, &n) && n == 32) {
            int same = 1;
            for (int i = 0; i < 32; i++)
                same &= md[i] == (unsigned char)(hexval(pin[2 * i]) << 4 | hexval(pin[2 * i + 1]));
            if (same)
                return 1;
        }
    }
    /* No pin match: the CA verdict for the whole chain stands (checked at every depth). */
    return preverify && X509_STORE_CTX_get_error(xs) == X509_V_OK;
}

SSL_CTX *gw_tls_broker_ctx(const char *ca_file, const char *pin_hex, struct dp_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        dp_err_set(err, "cannot create a TLS client context (%s)", ossl_reason());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (ca_file && ca_file[0]) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            dp_err_set(err, "cannot load the broker CA file %s (%s); fix [broker] ca", ca_file,
                       ossl_reason());
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else if (!pin_hex || !pin_hex[0]) {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (pin_index < 0)
        pin_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    SSL_CTX_set_ex_data(ctx, pin_index, (void *)(pin_hex ? pin_hex : ""));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, broker_verify);
    return ctx;
}

int gw_tls_peer_pubkey(SSL *ssl, struct gw_pubkey *pub, struct dp_err *err)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    if (!peer) {
        dp_err_set(err, "the peer presented no TLS certificate");
        return -1;
    }
    int rc = pubkey_of(peer, pub, err);
    X509_free(peer);
    return rc;
}
