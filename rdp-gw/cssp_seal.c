/* SPDX-License-Identifier: Apache-2.0 */
#include "cssp_seal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "err.h"

static const char client_magic[] = "CredSSP Client-To-Server Binding Hash";
static const char server_magic[] = "CredSSP Server-To-Client Binding Hash";

SecurityFunctionTableA *gw_cssp_table(void)
{
    return InitSecurityInterfaceExA(0);
}

void gw_cssp_ntlm_free(struct gw_cssp_ntlm *n)
{
    if (!n->table)
        return;
    if (n->have_ctx)
        n->table->DeleteSecurityContext(&n->ctx);
    if (n->have_cred)
        n->table->FreeCredentialsHandle(&n->cred);
    n->have_ctx = n->have_cred = 0;
}

int gw_cssp_ntlm_sizes(struct gw_cssp_ntlm *n, struct dp_err *err)
{
    SecPkgContext_Sizes sizes = {0};
    SECURITY_STATUS st = n->table->QueryContextAttributesA(&n->ctx, SECPKG_ATTR_SIZES, &sizes);
    if (st != SEC_E_OK || sizes.cbSecurityTrailer == 0 || sizes.cbSecurityTrailer > 64) {
        dp_err_set(err, "NTLM context sizes unavailable (%s)", GetSecurityStatusString(st));
        return -1;
    }
    n->trailer = sizes.cbSecurityTrailer;
    return 0;
}

int gw_cssp_binding(uint32_t version, int client_to_server, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *pubkey, size_t pubkey_len, uint8_t **out, size_t *out_len,
                    struct dp_err *err)
{
    if (version >= 5) {
        if (!nonce || nonce_len != 32) {
            dp_err_set(err, "CredSSP v%u needs a 32-byte clientNonce, got %zu bytes", version,
                       nonce ? nonce_len : 0);
            return -1;
        }
        const char *magic = client_to_server ? client_magic : server_magic;
        *out = malloc(SHA256_DIGEST_LENGTH);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int ok = *out && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(md, magic, strlen(magic) + 1) && /* the NUL is hashed too */
                 EVP_DigestUpdate(md, nonce, nonce_len) &&
                 EVP_DigestUpdate(md, pubkey, pubkey_len) && EVP_DigestFinal_ex(md, *out, NULL);
        EVP_MD_CTX_free(md);
        if (!ok) {
            free(*out);
            *out = NULL;
            goto oom;
        }
        *out_len = SHA256_DIGEST_LENGTH;
        return 0;
    }
    *out = malloc(pubkey_len ? pubkey_len : 1);
    if (!*out)
        goto oom;
    memcpy(*out, pubkey, pubkey_len);
    *out_len = pubkey_len;
    if (!client_to_server) {
        for (size_t i = 0; i < pubkey_len; i++) {
            if (++(*out)[i] != 0)
                break;
        }
    }
    return 0;
oom:
    dp_err_set(err, "out of memory computing the CredSSP binding");
    return -1;
}

int gw_cssp_seal(struct gw_cssp_ntlm *n, const uint8_t *data, size_t len, uint8_t **out,
                 size_t *out_len, struct dp_err *err)
{
    uint8_t *buf = malloc(n->trailer + len);
    if (!buf) {
        dp_err_set(err, "out of memory sealing a CredSSP message");
        return -1;
    }
    memcpy(buf + n->trailer, data, len);
    SecBuffer b[2] = {
        {.BufferType = SECBUFFER_TOKEN, .cbBuffer = n->trailer, .pvBuffer = buf},
        {.BufferType = SECBUFFER_DATA, .cbBuffer = (ULONG)len, .pvBuffer = buf + n->trailer},
    };
    SecBufferDesc desc = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 2, .pBuffers = b};
    SECURITY_STATUS st = n->table->EncryptMessage(&n->ctx, 0, &desc, n->send_seq++);
    if (st != SEC_E_OK) {
        explicit_bzero(buf, n->trailer + len);
        free(buf);
        dp_err_set(err, "NTLM EncryptMessage failed (%s)", GetSecurityStatusString(st));
        return -1;
    }
    /* The signature may come out shorter than the trailer; close the gap. */
    if (b[0].cbBuffer < n->trailer)
        memmove(buf + b[0].cbBuffer, buf + n->trailer, len);
    *out = buf;
    *out_len = b[0].cbBuffer + len;
    return 0;
}

int gw_cssp_unseal(struct gw_cssp_ntlm *n, const uint8_t *in, size_t len, uint8_t **out,
                   size_t *out_len, struct dp_err *err)
{
    if (len < n->trailer) {
        dp_err_set(err, "sealed CredSSP field of %zu bytes is shorter than its %u-byte signature",
                   len, (unsigned)n->trailer);
        return -1;
    }
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        dp_err_set(err, "out of memory unsealing a CredSSP message");
        return -1;
    }
    memcpy(buf, in, len);
    SecBuffer b[2] = {
        {.BufferType = SECBUFFER_TOKEN, .cbBuffer = n->trailer, .pvBuffer = buf},
        {.BufferType = SECBUFFER_DATA,
         .cbBuffer = (ULONG)(len - n->trailer),
         .pvBuffer = buf + n->trailer},
    };
    SecBufferDesc desc = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 2, .pBuffers = b};
    ULONG qop = 0;
    SECURITY_STATUS st = n->table->DecryptMessage(&n->ctx, &desc, n->recv_seq++, &qop);
    if (st != SEC_E_OK) {
        explicit_bzero(buf, len);
        free(buf);
        dp_err_set(err, "CredSSP message signature does not verify (%s)",
                   GetSecurityStatusString(st));
        return -1;
    }
    memmove(buf, buf + n->trailer, len - n->trailer);
    *out = buf;
    *out_len = len - n->trailer;
    return 0;
}
