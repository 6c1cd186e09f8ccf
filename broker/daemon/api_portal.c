/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web portal: its files (GET /portal/...) and its login (POST /api/v1/portal/login),
 * which answers with the session in an HttpOnly cookie and a CSRF token for the script.
 */
#include "api.h"
#include "cookie.h"
#include "csrf.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "portal_assets.h"
#include "store/db.h"
#include "store/db_tokens.h"
#include "store/db_users.h"
#include "workers.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const struct portal_asset *portal_asset_find(const char *name)
{
    for (size_t i = 0; i < portal_assets_count; i++)
        if (strcmp(portal_assets[i].name, name) == 0)
            return &portal_assets[i];
    return NULL;
}

/* Headers of every portal page: only our own scripts and styles run, in no frame. */
static void page_headers(struct evkeyvalq *h)
{
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                      "frame-ancestors 'none'; base-uri 'none'");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cache-Control", "no-cache");
}

static void send_plain(struct api_req *r, int status, const char *reason, const char *location)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    if (location)
        evhttp_add_header(h, "Location", location);
    evhttp_send_reply(r->req, status, reason, NULL);
    api_req_free(r);
}

void api_portal_static(struct api_req *r, const char *path)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(r->req);
    if (strcmp(path, "/") == 0 || strcmp(path, "/portal") == 0)
        return send_plain(r, 302, "Found", "/portal/");
    const struct portal_asset *a = NULL;
    if (strncmp(path, "/portal/", 8) == 0)
        a = portal_asset_find(path[8] ? path + 8 : "index.html");
    if (!a)
        return api_reply_error(r, 404,
                               "no such page %s; the portal is at /portal/ and the API under "
                               "/api/v1/",
                               path);
    if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD)
        return api_reply_error(r, 405, "%s is a page: use GET", path);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(h, "Content-Type", a->type);
    page_headers(h);
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
    evhttp_send_reply(r->req, 200, "OK", b);
    if (b)
        evbuffer_free(b);
    api_req_free(r);
}

struct plogin_job {
    struct work job;
    struct api_req *r;
    char user[64], password[256];
    int status;
    char msg[1024];
    char token[DB_TOKEN_TEXT_MAX], csrf[CSRF_TOKEN_LEN];
    struct db_user u;
    int64_t expires;
};

static void plogin_run(struct work *j, struct db *db)
{
    struct plogin_job *pj = (struct plogin_job *)j;
    struct deskpoold *d = pj->r->d;
    struct dp_err err = {0};
    uint8_t key[32];
    int ttl = d->cfg.session_ttl_s;
    db_set_actor(db, pj->r->actor);
    /* Counts failures and locks the account at the limit (db_users.h). */
    int rc = db_user_check_password(db, pj->user, pj->password, &pj->u, &err);
    OPENSSL_cleanse(pj->password, sizeof pj->password);
    if (rc == DB_OK)
        rc = db_token_issue(db, DB_TOKEN_API_SESSION, pj->u.id, 0, ttl, pj->token, &err);
    if (rc == DB_OK && (csrf_key(d->key.k, key) != 0 || csrf_token(key, pj->token, pj->csrf))) {
        dp_err_set(&err, "cannot make a CSRF token (OpenSSL failed); see the broker's log");
        rc = DB_EIO;
    }
    OPENSSL_cleanse(key, sizeof key);
    pj->status = rc == DB_OK ? 200 : rc == DB_EDENIED ? 401 : 500;
    snprintf(pj->msg, sizeof pj->msg, "%s", err.set ? err.msg : "login failed");
    pj->expires = (int64_t)time(NULL) + ttl;
}

static void plogin_done(struct work *j)
{
    struct plogin_job *pj = (struct plogin_job *)j;
    struct api_req *r = pj->r;
    char cookie[256];
    if (pj->status == 200 &&
        cookie_session_header(pj->token, r->d->cfg.session_ttl_s, cookie, sizeof cookie) == 0) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        evhttp_add_header(h, "Set-Cookie", cookie);
        evhttp_add_header(h, "Cache-Control", "no-store");
        api_reply_json(r, 200,
                       json_pack("{s:s,s:s,s:I,s:s}", "user", pj->u.name, "display_name",
                                 pj->u.display_name, "expires", (json_int_t)pj->expires,
                                 "csrf_token", pj->csrf));
    } else {
        api_reply_error(r, pj->status == 200 ? 500 : pj->status, "%s", pj->msg);
    }
    OPENSSL_cleanse(cookie, sizeof cookie);
    OPENSSL_cleanse(pj, sizeof *pj);
    free(pj);
}

void api_portal_login(struct api_req *r)
{
    /* A cross-site form can post text/plain but not application/json (that needs a CORS
     * preflight the broker never grants): so no other site can log a browser in. */
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        api_reply_error(r, 400, "POST /portal/login takes Content-Type: application/json");
        return;
    }
    struct plogin_job *pj = calloc(1, sizeof *pj);
    if (!pj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {API_STR("user", 1, pj->user), API_STR("password", 1, pj->password)};
    if (api_body_fields(r, f, 2) != 0) {
        OPENSSL_cleanse(pj, sizeof *pj);
        free(pj);
        return;
    }
    snprintf(r->actor, sizeof r->actor, "user:%s", pj->user);
    pj->r = r;
    pj->job.run = plogin_run;
    pj->job.done = plogin_done;
    workers_submit(r->d->workers, &pj->job);
}
