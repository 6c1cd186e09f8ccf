/* SPDX-License-Identifier: Apache-2.0 */
#include "credssp_server.h"

#include <stdlib.h>
#include <string.h>

#include <winpr/nt.h>
#include <winpr/sspi.h>

#include "cssp_seal.h"
#include "err.h"
#include "tsrequest.h"

enum srv_state { ST_NEGOTIATE, ST_AUTHENTICATE, ST_HASH, ST_PUBKEY, ST_CREDS, ST_DONE, ST_DEAD };

#define NTLM_MAX_TOKEN 4096

struct gw_cssp_server {
    enum srv_state state;
    struct gw_cssp_ntlm ntlm;
    uint32_t peer_version;
    uint32_t version; /* what we answer: min(peer, ours) */
    uint8_t *pub;
    size_t pub_len;
    uint8_t nonce[GW_TSREQUEST_NONCE_SIZE];
    int have_nonce;
    uint8_t *auth_msg; /* the AUTHENTICATE token, kept while the hash is fetched */
    size_t auth_len;
    uint8_t *pub_key_auth; /* the client's sealed binding, when it came with AUTHENTICATE */
    size_t pub_key_auth_len;
    struct gw_ntlm_auth names;
};

struct gw_cssp_server *gw_cssp_server_new(const struct gw_pubkey *tls_pub, struct dp_err *err)
{
    struct gw_cssp_server *s = calloc(1, sizeof *s);
    if (!s || !(s->pub = malloc(tls_pub->len))) {
        free(s);
        dp_err_set(err, "out of memory for a CredSSP server");
        return NULL;
    }
    memcpy(s->pub, tls_pub->der, tls_pub->len);
    s->pub_len = tls_pub->len;
    s->ntlm.table = gw_cssp_table();
    if (!s->ntlm.table) {
        dp_err_set(err, "WinPR's SSPI table is unavailable");
        gw_cssp_server_free(s);
        return NULL;
    }
    TimeStamp expiry;
    SECURITY_STATUS st = s->ntlm.table->AcquireCredentialsHandleA(
        NULL, "NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &s->ntlm.cred, &expiry);
    if (st != SEC_E_OK) {
        dp_err_set(err, "NTLM AcquireCredentialsHandle (inbound) failed: %s",
                   GetSecurityStatusString(st));
        gw_cssp_server_free(s);
        return NULL;
    }
    s->ntlm.have_cred = 1;
    return s;
}

static void drop_auth(struct gw_cssp_server *s)
{
    if (s->auth_msg)
        explicit_bzero(s->auth_msg, s->auth_len);
    free(s->auth_msg);
    free(s->pub_key_auth);
    s->auth_msg = s->pub_key_auth = NULL;
    s->auth_len = s->pub_key_auth_len = 0;
}

void gw_cssp_server_free(struct gw_cssp_server *s)
{
    if (!s)
        return;
    drop_auth(s);
    gw_cssp_ntlm_free(&s->ntlm);
    free(s->pub);
    free(s);
}

const struct gw_ntlm_auth *gw_cssp_server_names(const struct gw_cssp_server *s)
{
    return &s->names;
}

uint32_t gw_cssp_server_version(const struct gw_cssp_server *s)
{
    return s->version;
}

static int fail(struct gw_cssp_server *s)
{
    s->state = ST_DEAD;
    return GW_CSSP_FAIL;
}

static int send_req(struct gw_tsrequest *req, struct evbuffer *out, struct dp_err *err)
{
    size_t n = gw_tsrequest_encoded_len(req);
    uint8_t *buf = n ? malloc(n) : NULL;
    if (!buf) {
        dp_err_set(err, "cannot encode a TSRequest of %zu bytes", n);
        return -1;
    }
    int w = gw_tsrequest_encode(req, buf, n, err);
    int rc = w < 0 ? -1 : evbuffer_add(out, buf, (size_t)w);
    free(buf);
    return rc;
}

/* What the client learns of a failed login: an NTSTATUS where its version carries one
 * (3, 4, 6; FreeRDP leaves it out for 5 too), then the connection ends. */
int gw_cssp_server_refuse(struct gw_cssp_server *s, uint32_t ntstatus, struct evbuffer *out,
                          struct dp_err *err)
{
    drop_auth(s);
    s->state = ST_DEAD;
    if (s->peer_version >= 3 && s->peer_version != 5) {
        struct gw_tsrequest req = {
            .version = s->version, .has_error_code = 1, .error_code = ntstatus};
        (void)send_req(&req, out, err);
    }
    return GW_CSSP_DENIED;
}

static int deny(struct gw_cssp_server *s, struct evbuffer *out, struct dp_err *err)
{
    return gw_cssp_server_refuse(s, (uint32_t)STATUS_LOGON_FAILURE, out, err);
}

static int accept_token(struct gw_cssp_server *s, const uint8_t *tok, size_t len, uint8_t *outbuf,
                        ULONG *outlen, SECURITY_STATUS *status)
{
    SecBuffer in = {.BufferType = SECBUFFER_TOKEN, .cbBuffer = (ULONG)len, .pvBuffer = (void *)tok};
    SecBufferDesc ind = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 1, .pBuffers = &in};
    SecBuffer ob = {.BufferType = SECBUFFER_TOKEN, .cbBuffer = *outlen, .pvBuffer = outbuf};
    SecBufferDesc outd = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 1, .pBuffers = &ob};
    ULONG req = ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_CONNECTION |
                ASC_REQ_USE_SESSION_KEY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT |
                ASC_REQ_EXTENDED_ERROR;
    ULONG attrs = 0;
    TimeStamp expiry;
    *status = s->ntlm.table->AcceptSecurityContext(
        &s->ntlm.cred, s->ntlm.have_ctx ? &s->ntlm.ctx : NULL, &ind, req, SECURITY_NATIVE_DREP,
        &s->ntlm.ctx, &outd, &attrs, &expiry);
    s->ntlm.have_ctx = 1;
    *outlen = ob.cbBuffer;
    return 0;
}

/* Checks the client's sealed binding and answers with ours. */
static int answer_pubkey(struct gw_cssp_server *s, const uint8_t *sealed, size_t len,
                         struct evbuffer *out, struct dp_err *err)
{
    uint8_t *plain = NULL, *want = NULL, *mine = NULL, *sealed_mine = NULL;
    size_t plain_len, want_len, mine_len, sealed_len;
    int rc = GW_CSSP_FAIL;
    const uint8_t *nonce = s->have_nonce ? s->nonce : NULL;

    if (gw_cssp_unseal(&s->ntlm, sealed, len, &plain, &plain_len, err) < 0)
        goto out;
    if (gw_cssp_binding(s->version, 1, nonce, sizeof s->nonce, s->pub, s->pub_len, &want, &want_len,
                        err) < 0)
        goto out;
    if (plain_len != want_len || memcmp(plain, want, want_len) != 0) {
        /* The client bound its login to another TLS key: someone sits between us. */
        dp_err_set(err, "the client's pubKeyAuth does not match the gateway's TLS key (a TLS "
                        "interceptor between client and gateway?)");
        goto out;
    }
    if (gw_cssp_binding(s->version, 0, nonce, sizeof s->nonce, s->pub, s->pub_len, &mine, &mine_len,
                        err) < 0 ||
        gw_cssp_seal(&s->ntlm, mine, mine_len, &sealed_mine, &sealed_len, err) < 0)
        goto out;
    struct gw_tsrequest req = {
        .version = s->version, .pub_key_auth = sealed_mine, .pub_key_auth_len = sealed_len};
    if (send_req(&req, out, err) < 0)
        goto out;
    s->state = ST_CREDS;
    rc = GW_CSSP_SEND;
out:
    free(plain);
    free(want);
    free(mine);
    free(sealed_mine);
    if (rc == GW_CSSP_FAIL)
        s->state = ST_DEAD;
    return rc;
}

int gw_cssp_server_input(struct gw_cssp_server *s, const uint8_t *pdu, size_t len,
                         struct evbuffer *out, struct dp_err *err)
{
    struct gw_tsrequest req;
    size_t used;
    if (gw_tsrequest_decode(pdu, len, &req, &used, err) != GW_OK || used != len) {
        dp_err_set(err, "client sent a TSRequest the gateway cannot decode");
        return fail(s);
    }
    if (s->peer_version == 0) {
        if (req.version < 2) {
            dp_err_set(err, "client speaks CredSSP version %u; 2 or later is required",
                       req.version);
            return fail(s);
        }
        s->peer_version = req.version;
        s->version = req.version < GW_CSSP_VERSION ? req.version : GW_CSSP_VERSION;
    } else if (req.version != s->peer_version) {
        dp_err_set(err, "client changed its CredSSP version from %u to %u", s->peer_version,
                   req.version);
        return fail(s);
    }
    if (req.client_nonce && s->version >= 5) {
        memcpy(s->nonce, req.client_nonce, sizeof s->nonce);
        s->have_nonce = 1;
    }
    if (req.has_error_code) {
        dp_err_set(err, "client reported CredSSP error 0x%08X", req.error_code);
        return fail(s);
    }

    switch (s->state) {
    case ST_NEGOTIATE: {
        if (!req.nego_token ||
            gw_ntlm_message_type(req.nego_token, req.nego_token_len, err) != GW_NTLM_NEGOTIATE) {
            dp_err_set(err, "client's first CredSSP message is not an NTLM NEGOTIATE (only NTLM "
                            "logons are supported; Kerberos-only clients must allow NTLM)");
            return fail(s);
        }
        uint8_t tok[NTLM_MAX_TOKEN];
        ULONG tlen = sizeof tok;
        SECURITY_STATUS st;
        accept_token(s, req.nego_token, req.nego_token_len, tok, &tlen, &st);
        if (st != SEC_I_CONTINUE_NEEDED || tlen == 0) {
            dp_err_set(err, "NTLM rejected the client's NEGOTIATE: %s",
                       GetSecurityStatusString(st));
            return fail(s);
        }
        struct gw_tsrequest ch = {.version = s->version, .nego_token = tok, .nego_token_len = tlen};
        if (send_req(&ch, out, err) < 0)
            return fail(s);
        s->state = ST_AUTHENTICATE;
        return GW_CSSP_SEND;
    }
    case ST_AUTHENTICATE: {
        if (!req.nego_token ||
            gw_ntlm_message_type(req.nego_token, req.nego_token_len, err) != GW_NTLM_AUTHENTICATE) {
            dp_err_set(err, "client's second CredSSP message is not an NTLM AUTHENTICATE");
            return fail(s);
        }
        if (gw_ntlm_auth_names(req.nego_token, req.nego_token_len, &s->names, err) < 0)
            return fail(s);
        s->auth_msg = malloc(req.nego_token_len);
        if (!s->auth_msg) {
            dp_err_set(err, "out of memory keeping the AUTHENTICATE message");
            return fail(s);
        }
        memcpy(s->auth_msg, req.nego_token, req.nego_token_len);
        s->auth_len = req.nego_token_len;
        if (req.pub_key_auth) {
            s->pub_key_auth = malloc(req.pub_key_auth_len ? req.pub_key_auth_len : 1);
            if (!s->pub_key_auth) {
                dp_err_set(err, "out of memory keeping pubKeyAuth");
                return fail(s);
            }
            memcpy(s->pub_key_auth, req.pub_key_auth, req.pub_key_auth_len);
            s->pub_key_auth_len = req.pub_key_auth_len;
        }
        s->state = ST_HASH;
        return GW_CSSP_NEED_HASH;
    }
    case ST_PUBKEY:
        if (!req.pub_key_auth) {
            dp_err_set(err, "client's CredSSP message after NTLM carries no pubKeyAuth");
            return fail(s);
        }
        return answer_pubkey(s, req.pub_key_auth, req.pub_key_auth_len, out, err);
    case ST_CREDS: {
        if (!req.auth_info) {
            dp_err_set(err, "client's last CredSSP message carries no authInfo");
            return fail(s);
        }
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        if (gw_cssp_unseal(&s->ntlm, req.auth_info, req.auth_info_len, &plain, &plain_len, err) < 0)
            return fail(s);
        /* TSCredentials with the user's password: not needed, never kept. */
        explicit_bzero(plain, plain_len);
        free(plain);
        s->state = ST_DONE;
        return GW_CSSP_DONE;
    }
    default:
        dp_err_set(err, "unexpected CredSSP message in state %d", (int)s->state);
        return fail(s);
    }
}

int gw_cssp_server_set_hash(struct gw_cssp_server *s, const uint8_t *ntowfv2, struct evbuffer *out,
                            struct dp_err *err)
{
    if (s->state != ST_HASH) {
        dp_err_set(err, "CredSSP server got a hash in state %d", (int)s->state);
        return fail(s);
    }
    if (!ntowfv2)
        return deny(s, out, err);

    SecPkgContext_AuthNtlmHash h = {.Version = 2};
    memcpy(h.NtlmHash, ntowfv2, sizeof h.NtlmHash);
    SECURITY_STATUS st = s->ntlm.table->SetContextAttributesA(
        &s->ntlm.ctx, SECPKG_ATTR_AUTH_NTLM_HASH, &h, sizeof h);
    explicit_bzero(&h, sizeof h);
    if (st != SEC_E_OK) {
        dp_err_set(err, "NTLM refused the user's hash: %s", GetSecurityStatusString(st));
        return fail(s);
    }
    uint8_t tok[NTLM_MAX_TOKEN];
    ULONG tlen = sizeof tok;
    accept_token(s, s->auth_msg, s->auth_len, tok, &tlen, &st);
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SecBuffer ob = {.BufferType = SECBUFFER_TOKEN, .cbBuffer = tlen, .pvBuffer = tok};
        SecBufferDesc outd = {.ulVersion = SECBUFFER_VERSION, .cBuffers = 1, .pBuffers = &ob};
        st = s->ntlm.table->CompleteAuthToken(&s->ntlm.ctx, &outd);
    }
    if (st != SEC_E_OK)
        return deny(s, out, err); /* wrong password: MIC or NTProofStr mismatch */
    if (gw_cssp_ntlm_sizes(&s->ntlm, err) < 0)
        return fail(s);

    int rc;
    if (s->pub_key_auth) {
        rc = answer_pubkey(s, s->pub_key_auth, s->pub_key_auth_len, out, err);
    } else {
        s->state = ST_PUBKEY;
        rc = GW_CSSP_SEND; /* nothing to send: read the client's pubKeyAuth */
    }
    drop_auth(s);
    return rc;
}
