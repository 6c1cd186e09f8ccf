/* SPDX-License-Identifier: Apache-2.0 */
/* The portal's cookie session and its CSRF check. */
#include "auth_cookie.h"
#include "cookie.h"
#include "csrf.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_tokens.h"

#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int cookie_token(struct evhttp_request *req, char *out, size_t cap)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
    return h ? cookie_find(h, PORTAL_COOKIE, out, cap) : -1;
}

int auth_cookie(struct deskpoold *d, struct evhttp_request *req, enum api_caller *caller,
                char *actor, size_t actor_cap, int64_t *user_id)
{
    char tok[DB_TOKEN_TEXT_MAX];
    struct db_token t;
    if (cookie_token(req, tok, sizeof tok) != 0)
        return 0;
    int rc = db_token_redeem(d->db, tok, DB_TOKEN_API_SESSION, &t, NULL);
    OPENSSL_cleanse(tok, sizeof tok);
    if (rc != DB_OK)
        return 0;
    *caller = CALLER_USER;
    *user_id = t.user_id;
    snprintf(actor, actor_cap, "user:%s", t.user);
    return 1;
}

int auth_cookie_csrf_ok(struct deskpoold *d, struct evhttp_request *req)
{
    char tok[DB_TOKEN_TEXT_MAX];
    uint8_t key[32];
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-CSRF-Token");
    if (!h || cookie_token(req, tok, sizeof tok) != 0 || csrf_key(d->key.k, key) != 0)
        return 0;
    int ok = csrf_check(key, tok, h);
    OPENSSL_cleanse(tok, sizeof tok);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

int auth_session_token(struct evhttp_request *req, char *out, size_t cap)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        if (strlen(h + 7) >= cap)
            return -1;
        snprintf(out, cap, "%s", h + 7);
        return 0;
    }
    return cookie_token(req, out, cap);
}
