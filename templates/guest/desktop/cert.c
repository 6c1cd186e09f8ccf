/* SPDX-License-Identifier: Apache-2.0 */
#include "cert.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "files.h"

/* PEM text of an OpenSSL object, via a memory BIO, into a malloc'd buffer. */
static char *bio_text(BIO *bio, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return NULL;
    char *copy = malloc((size_t)n);
    if (copy)
        memcpy(copy, data, (size_t)n);
    *len = (size_t)n;
    return copy;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    unsigned char serial[16];
    FILE *r = fopen("/dev/urandom", "rb");
    int ok = r && fread(serial, 1, sizeof serial, r) == sizeof serial;
    if (r)
        fclose(r);
    serial[0] &= 0x7f; /* a positive serial number, as RFC 5280 asks */
    BIGNUM *bn = ok ? BN_bin2bn(serial, sizeof serial, NULL) : NULL;
    X509_NAME *name = X509_get_subject_name(x);
    ok = bn && X509_set_version(x, 2) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_issuer_name(x, name) && X509_set_pubkey(x, key);
    BN_free(bn);
    if (ok) {
        /* Server authentication is what RDP clients that check the EKU look for. */
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "serverAuth");
        ok = ext && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!ok || !X509_sign(x, key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int generate(const char *cn, const char *crt_path, const char *key_path, struct dp_err *err)
{
    int rc = -1;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *x = key ? make_cert(key, cn) : NULL;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    char *ktext = NULL, *ctext = NULL;
    size_t klen = 0, clen = 0;
    if (!key || !x || !kb || !cb) {
        dp_err_set(err, "cannot generate a self-signed RSA-2048 certificate (OpenSSL failed)");
        goto out;
    }
    /* FreeRDP reads the key as traditional or PKCS#8 PEM; write the traditional RSA form,
     * which every FreeRDP version accepts. */
    if (!PEM_write_bio_PrivateKey_traditional(kb, key, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cb, x) || !(ktext = bio_text(kb, &klen)) ||
        !(ctext = bio_text(cb, &clen))) {
        dp_err_set(err, "cannot encode the new TLS certificate as PEM");
        goto out;
    }
    /* Key first: a certificate without its key would be reused next time and fail. */
    if (dp_write_file_atomic(key_path, ktext, klen, 0600, err) != 0 ||
        dp_write_file_atomic(crt_path, ctext, clen, 0644, err) != 0)
        goto out;
    rc = 0;
out:
    if (ktext) {
        OPENSSL_cleanse(ktext, klen);
        free(ktext);
    }
    free(ctext);
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

int cert_ensure(const char *dir, const char *common_name, char *crt_path, char *key_path, size_t n,
                struct dp_err *err)
{
    if (snprintf(crt_path, n, "%s/tls.crt", dir) >= (int)n ||
        snprintf(key_path, n, "%s/tls.key", dir) >= (int)n) {
        dp_err_set(err, "state folder path too long: %s", dir);
        return -1;
    }
    if (dp_path_exists(crt_path) && dp_path_exists(key_path))
        return 0;
    if (dp_mkdirs(dir, 0700, err) != 0)
        return -1;
    if (generate(common_name, crt_path, key_path, err) != 0)
        return -1;
    return 1;
}
