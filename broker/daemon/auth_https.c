/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS callers: the gateway key or a user's session token, as a bearer credential. */
#include "auth.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_tokens.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int auth_bearer(struct deskpoold *d, struct evhttp_request *req, enum api_caller *caller,
                char *actor, size_t actor_cap, int64_t *user_id, char *msg, size_t cap)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    *caller = CALLER_ANON;
    snprintf(actor, actor_cap, "anonymous");
    if (!h)
        return 0;
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        snprintf(msg, cap, "the Authorization header must be \"Bearer TOKEN\"");
        return 401;
    }
    const char *tok = h + 7;
    size_t tlen = strlen(tok), klen = strlen(d->gateway_key);
    /* Constant time over the key, so its bytes cannot be guessed by timing. */
    if (klen && tlen == klen && CRYPTO_memcmp(tok, d->gateway_key, klen) == 0) {
        *caller = CALLER_GATEWAY;
        snprintf(actor, actor_cap, "gateway");
        return 0;
    }
    struct db_token t;
    struct dp_err err = {0};
    if (tlen < DB_TOKEN_TEXT_MAX &&
        db_token_redeem(d->db, tok, DB_TOKEN_API_SESSION, &t, &err) == DB_OK) {
        *caller = CALLER_USER;
        *user_id = t.user_id;
        snprintf(actor, actor_cap, "user:%s", t.user);
        return 0;
    }
    snprintf(msg, cap,
             "the bearer credential is not the gateway key nor a live session; log in again "
             "(POST /api/v1/login) or check the gateway's key file");
    return 401;
}
