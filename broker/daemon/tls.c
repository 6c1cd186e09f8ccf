/* SPDX-License-Identifier: Apache-2.0 */
/* A self-signed certificate on first start (OpenSSL 3), and the server context. */
#include "tls.h"
#include "err.h"
#include "files.h"

#include <libgen.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* err = what + OpenSSL's reason + what to do (fix, may be ""). */
static void ssl_err(struct dp_err *err, const char *what, const char *fix)
{
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    dp_err_set(err, "%s: %s%s", what, buf, fix);
}

/* Writes a PEM object made by `write` to path atomically with mode. */
static int write_pem(const char *path, unsigned mode, int (*write)(BIO *, void *), void *obj,
                     struct dp_err *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    if (!b || !write(b, obj)) {
        BIO_free(b);
        ssl_err(err, "encoding PEM", "");
        return -1;
    }
    long len = BIO_get_mem_data(b, &data);
    int rc = dp_write_file_atomic(path, data, (size_t)len, mode, err);
    BIO_free(b);
    return rc;
}

static int write_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *b, void *x)
{
    return PEM_write_bio_X509(b, x);
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e)
        return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key, const char *host)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    if (!x || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f; /* a positive serial */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    char san[512];
    snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1", host);
    X509_NAME *name = X509_get_subject_name(x);
    if (!bn || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"deskpool", -1,
                                    -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1,
                                    0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) ||
        add_ext(x, NID_subject_alt_name, san) != 0 ||
        add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(x, NID_ext_key_usage, "serverAuth") != 0 || !X509_sign(x, key, EVP_sha256()))
        goto fail;
    BN_free(bn);
    return x;
fail:
    BN_free(bn);
    X509_free(x);
    return NULL;
}

int https_cert_ensure(const char *cert_path, const char *key_path, struct dp_err *err)
{
    int have_cert = dp_path_exists(cert_path), have_key = dp_path_exists(key_path);
    if (have_cert && have_key)
        return 0;
    if (have_cert != have_key) {
        dp_err_set(err,
                   "%s exists but %s does not; put the matching file there, or remove the "
                   "other one to have deskpoold make a new self-signed pair",
                   have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", key_path);
    if (dp_mkdirs(dirname(dir), 0700, err) != 0)
        return -1;
    snprintf(dir, sizeof dir, "%s", cert_path);
    if (dp_mkdirs(dirname(dir), 0700, err) != 0)
        return -1;
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *x = key ? make_cert(key, host) : NULL;
    int rc = -1;
    if (!x)
        ssl_err(err, "making the self-signed TLS certificate", "");
    else if (write_pem(key_path, 0600, write_key, key, err) == 0 &&
             write_pem(cert_path, 0644, write_cert, x, err) == 0)
        rc = 0;
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

SSL_CTX *https_ssl_ctx(const char *cert_path, const char *key_path, struct dp_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_err(err, "making a TLS context", "");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "loading the TLS certificate %s", cert_path);
        ssl_err(err, what, "; fix the PEM file, or remove it and its key to get a new one");
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
               SSL_CTX_check_private_key(ctx) != 1) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "loading the TLS key %s", key_path);
        ssl_err(err, what, "; it must be the PEM key of the certificate");
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}
