/* SPDX-License-Identifier: Apache-2.0 */
#include "credssp_client.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <winpr/sspi.h>
#include <winpr/string.h>

#include "cssp_seal.h"
#include "err.h"
#include "tscred.h"
#include "tsrequest.h"

enum cli_state { CS_START, CS_CHALLENGE, CS_PUBKEY, CS_DONE, CS_DEAD };

#define NTLM_MAX_TOKEN 4096

struct gw_cssp_client {
    enum cli_state state;
    struct gw_cssp_ntlm ntlm;
    uint32_t version; /* the VM's, capped at ours, once known */
    uint8_t nonce[GW_TSREQUEST_NONCE_SIZE];
    uint8_t *pub;
    size_t pub_len;
    WCHAR *user, *domain, *password;           /* UTF-16LE, for TSCredentials */
    size_t user_len, domain_len, password_len; /* bytes, without NUL */
    uint32_t error_code;
};

/* UTF-8 to a malloc'd UTF-16LE string; *bytes excludes the terminator. */
static WCHAR *to_utf16(const char *s, size_t *bytes)
{
    WCHAR *w = NULL;
    int n = ConvertToUnicode(CP_UTF8, 0, s, -1, &w, 0);
    if (n <= 0)
        return NULL;
    *bytes = (size_t)(n - 1) * sizeof(WCHAR);
    return w;
}

static void wipe_free(WCHAR *w, size_t bytes)
{
    if (w)
        explicit_bzero(w, bytes);
    free(w);
}

void gw_cssp_client_free(struct gw_cssp_client *c)
{
    if (!c)
        return;
    gw_cssp_ntlm_free(&c->ntlm);
    wipe_free(c->user, c->user_len);
    wipe_free(c->domain, c->domain_len);
    wipe_free(c->password, c->password_len);
    free(c->pub);
    free(c);
}

struct gw_cssp_client *gw_cssp_client_new(const char *user, const char *domain,
                                          const char *password, const struct gw_pubkey *vm_pub,
                                          struct dp_err *err)
{
    struct gw_cssp_client *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->pub = malloc(vm_pub->len);
    c->user = to_utf16(user, &c->user_len);
    c->domain = to_utf16(domain ? domain : "", &c->domain_len);
    c->password = to_utf16(password, &c->password_len);
    if (!c->pub || !c->user || !c->domain || !c->password)
        goto oom;
    memcpy(c->pub, vm_pub->der, vm_pub->len);
    c->pub_len = vm_pub->len;
    if (RAND_bytes(c->nonce, sizeof c->nonce) != 1) {
        dp_err_set(err, "no randomness for the CredSSP client nonce");
        goto fail;
    }
    c->ntlm.table = gw_cssp_table();
    if (!c->ntlm.table) {
        dp_err_set(err, "WinPR's SSPI table is unavailable");
        goto fail;
    }
    SEC_WINNT_AUTH_IDENTITY id = {
        .User = (UINT16 *)c->user,
        .UserLength = (UINT32)(c->user_len / 2),
        .Domain = (UINT16 *)c->domain,
        .DomainLength = (UINT32)(c->domain_len / 2),
        .Password = (UINT16 *)c->password,
        .PasswordLength = (UINT32)(c->password_len / 2),
        .Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE,
    };
    TimeStamp expiry;
    SECURITY_STATUS st = c->ntlm.table->AcquireCredentialsHandleA(
        NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c->ntlm.cred, &expiry);
    if (st != SEC_E_OK) {
        dp_err_set(err, "NTLM AcquireCredentialsHandle (outbound) failed: %s",
                   GetSecurityStatusString(st));
        goto fail;
    }
    c->ntlm.have_cred = 1;
    return c;
oom:
    dp_err_set(err, "out of memory for a CredSSP client");
fail:
    gw_cssp_client_free(c);
    return NULL;
}

uint32_t gw_cssp_client_error(const struct gw_cssp_client *c)
{
    return c->error_code;
}

static int fail(struct gw_cssp_client *c)
{
    c->state = CS_DEAD;
    return GW_CSSP_FAIL;
}

static int send_req(struct gw_cssp_client *c, struct gw_tsrequest *req, struct evbuffer *out,
                    struct dp_err *err)
{
    req->version = GW_CSSP_VERSION;
    req->client_nonce = c->nonce;
    req->client_nonce_len = sizeof c->nonce;
    size_t n = gw_tsrequest_encoded_len(req);
    uint8_t *buf = n ? malloc(n) : NULL;
    if (!buf) {
        dp_err_set(err, "cannot encode a TSRequest of %zu bytes", n);
        return -1;
    }
    int w = gw_tsrequest_encode(req, buf, n, err);
    int rc = w < 0 ? -1 : evbuffer_add(out, buf, (size_t)w);
    explicit_bzero(buf, n);
    free(buf);
    return rc;
}

static SECURITY_STATUS init_ctx(struct gw_cssp_client *c, const uint8_t *in, size_t in_len,
                                uint8_t *tok, ULONG *tlen)
{
    SecBuffer ib = {
        .BufferType = SECBUFFER_TOKEN, .cbBuffer = (ULONG)in_len, .pvBuffer = (void *)in};
    SecBufferDesc ind = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 1, .pBuffers = &ib};
    SecBuffer ob = {.BufferType = SECBUFFER_TOKEN, .cbBuffer = *tlen, .pvBuffer = tok};
    SecBufferDesc outd = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 1, .pBuffers = &ob};
    ULONG attrs = 0;
    TimeStamp expiry;
    ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_USE_SESSION_KEY;
    SECURITY_STATUS st = c->ntlm.table->InitializeSecurityContextA(
        &c->ntlm.cred, c->ntlm.have_ctx ? &c->ntlm.ctx : NULL, NULL, req, 0, SECURITY_NATIVE_DREP,
        in ? &ind : NULL, 0, &c->ntlm.ctx, &outd, &attrs, &expiry);
    c->ntlm.have_ctx = 1;
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS cs = c->ntlm.table->CompleteAuthToken(&c->ntlm.ctx, &outd);
        if (cs != SEC_E_OK)
            return cs;
        st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
    }
    *tlen = ob.cbBuffer;
    return st;
}

int gw_cssp_client_start(struct gw_cssp_client *c, struct evbuffer *out, struct dp_err *err)
{
    uint8_t tok[NTLM_MAX_TOKEN];
    ULONG tlen = sizeof tok;
    SECURITY_STATUS st = init_ctx(c, NULL, 0, tok, &tlen);
    if (st != SEC_I_CONTINUE_NEEDED || tlen == 0) {
        dp_err_set(err, "NTLM could not start a login: %s", GetSecurityStatusString(st));
        return fail(c);
    }
    struct gw_tsrequest req = {.nego_token = tok, .nego_token_len = tlen};
    if (send_req(c, &req, out, err) < 0)
        return fail(c);
    c->state = CS_CHALLENGE;
    return GW_CSSP_SEND;
}

static int on_challenge(struct gw_cssp_client *c, const struct gw_tsrequest *req,
                        struct evbuffer *out, struct dp_err *err)
{
    if (!req->nego_token) {
        dp_err_set(err, "the VM's CredSSP answer carries no NTLM CHALLENGE");
        return fail(c);
    }
    uint8_t tok[NTLM_MAX_TOKEN];
    ULONG tlen = sizeof tok;
    SECURITY_STATUS st = init_ctx(c, req->nego_token, req->nego_token_len, tok, &tlen);
    if (st != SEC_E_OK) {
        dp_err_set(err, "NTLM could not answer the VM's CHALLENGE: %s",
                   GetSecurityStatusString(st));
        return fail(c);
    }
    if (gw_cssp_ntlm_sizes(&c->ntlm, err) < 0)
        return fail(c);
    uint8_t *bind = NULL, *sealed = NULL;
    size_t bind_len, sealed_len;
    int rc = GW_CSSP_FAIL;
    if (gw_cssp_binding(c->version, 1, c->nonce, sizeof c->nonce, c->pub, c->pub_len, &bind,
                        &bind_len, err) == 0 &&
        gw_cssp_seal(&c->ntlm, bind, bind_len, &sealed, &sealed_len, err) == 0) {
        struct gw_tsrequest out_req = {.nego_token = tok,
                                       .nego_token_len = tlen,
                                       .pub_key_auth = sealed,
                                       .pub_key_auth_len = sealed_len};
        if (send_req(c, &out_req, out, err) == 0) {
            c->state = CS_PUBKEY;
            rc = GW_CSSP_SEND;
        }
    }
    free(bind);
    free(sealed);
    if (rc == GW_CSSP_FAIL)
        c->state = CS_DEAD;
    return rc;
}

static int on_pubkey(struct gw_cssp_client *c, const struct gw_tsrequest *req, struct evbuffer *out,
                     struct dp_err *err)
{
    if (!req->pub_key_auth) {
        dp_err_set(err, "the VM's last CredSSP answer carries no pubKeyAuth");
        return fail(c);
    }
    uint8_t *plain = NULL, *want = NULL, *creds = NULL, *sealed = NULL;
    size_t plain_len, want_len, creds_len = 0, sealed_len;
    int rc = GW_CSSP_FAIL;
    if (gw_cssp_unseal(&c->ntlm, req->pub_key_auth, req->pub_key_auth_len, &plain, &plain_len,
                       err) < 0 ||
        gw_cssp_binding(c->version, 0, c->nonce, sizeof c->nonce, c->pub, c->pub_len, &want,
                        &want_len, err) < 0)
        goto out;
    if (plain_len != want_len || memcmp(plain, want, want_len) != 0) {
        dp_err_set(err, "the VM's pubKeyAuth does not prove its TLS key; credentials withheld");
        goto out;
    }
    if (gw_tscred_encode((const uint8_t *)c->domain, c->domain_len, (const uint8_t *)c->user,
                         c->user_len, (const uint8_t *)c->password, c->password_len, &creds,
                         &creds_len, err) < 0 ||
        gw_cssp_seal(&c->ntlm, creds, creds_len, &sealed, &sealed_len, err) < 0)
        goto out;
    struct gw_tsrequest out_req = {.auth_info = sealed, .auth_info_len = sealed_len};
    if (send_req(c, &out_req, out, err) < 0)
        goto out;
    c->state = CS_DONE;
    rc = GW_CSSP_DONE;
out:
    free(plain);
    free(want);
    if (creds)
        explicit_bzero(creds, creds_len);
    free(creds);
    free(sealed);
    if (rc == GW_CSSP_FAIL)
        c->state = CS_DEAD;
    return rc;
}

int gw_cssp_client_input(struct gw_cssp_client *c, const uint8_t *pdu, size_t len,
                         struct evbuffer *out, struct dp_err *err)
{
    struct gw_tsrequest req;
    size_t used;
    if (gw_tsrequest_decode(pdu, len, &req, &used, err) != GW_OK || used != len) {
        dp_err_set(err, "the VM sent a TSRequest the gateway cannot decode");
        return fail(c);
    }
    if (req.has_error_code) {
        c->error_code = req.error_code;
        c->state = CS_DEAD;
        dp_err_set(err, "the VM refused the injected login with NTSTATUS 0x%08X", req.error_code);
        return GW_CSSP_DENIED;
    }
    if (c->version == 0) {
        if (req.version < 2) {
            dp_err_set(err, "the VM speaks CredSSP version %u; 2 or later is required",
                       req.version);
            return fail(c);
        }
        c->version = req.version < GW_CSSP_VERSION ? req.version : GW_CSSP_VERSION;
    }
    switch (c->state) {
    case CS_CHALLENGE:
        return on_challenge(c, &req, out, err);
    case CS_PUBKEY:
        return on_pubkey(c, &req, out, err);
    default:
        dp_err_set(err, "unexpected CredSSP message from the VM in state %d", (int)c->state);
        return fail(c);
    }
}
