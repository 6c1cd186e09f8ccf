/* SPDX-License-Identifier: Apache-2.0 */
/* GET /me, GET /me/desktops, POST /logout: who the user is and what desktops they have. */
#include "api.h"
#include "auth_cookie.h"
#include "cookie.h"
#include "daemon.h"
#include "err.h"
#include "selfservice.h"
#include "store/db.h"
#include "store/db_entitlements.h"
#include "store/db_pools.h"
#include "store/db_sessions.h"
#include "store/db_tokens.h"
#include "store/db_users.h"
#include "store/db_vms.h"

#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdlib.h>

void api_logout(struct api_req *r)
{
    if (api_body_fields(r, NULL, 0) != 0)
        return;
    char tok[DB_TOKEN_TEXT_MAX], clear[256];
    struct dp_err err = {0};
    int rc = auth_session_token(r->req, tok, sizeof tok) == 0 ? db_token_revoke(r->d->db, tok, &err)
                                                              : DB_ENOTFOUND;
    OPENSSL_cleanse(tok, sizeof tok);
    /* Already gone (it expired and was purged a moment ago) is as good as revoked. */
    if (rc != DB_OK && rc != DB_ENOTFOUND) {
        api_reply_db(r, rc, &err);
        return;
    }
    if (r->via_cookie && cookie_session_header("", 0, clear, sizeof clear) == 0)
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", clear);
    api_audit(r, "user.logout", r->actor, NULL, 0);
    api_reply_json(r, 204, NULL);
}

void api_me_get(struct api_req *r)
{
    struct dp_err err = {0};
    struct db_user u;
    struct db_pool *pools = NULL;
    size_t n = 0;
    int rc = db_user_get_by_id(r->d->db, r->user_id, &u, &err);
    if (rc == DB_OK)
        rc = db_user_entitled_pools(r->d->db, u.id, &pools, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *names = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(names, json_string(pools[i].name));
    free(pools);
    api_reply_json(r, 200,
                   json_pack("{s:s,s:s,s:o,s:s?}", "user", u.name, "display_name", u.display_name,
                             "pools", names, "default_pool",
                             u.default_pool[0] ? u.default_pool : NULL));
}

/* One item of GET /me/desktops: the user's desktop in pool p, or an empty slot. */
static json_t *desktop_json(struct db *db, const struct db_pool *p, int64_t user_id)
{
    struct db_vm vm;
    struct db_session s;
    json_t *session = json_null();
    int have = ss_user_vm(db, p, user_id, &vm, NULL) == DB_OK;
    if (have && db_session_on_vm(db, vm.id, &s, NULL) == DB_OK && s.user_id == user_id)
        session =
            json_pack("{s:I,s:s}", "id", (json_int_t)s.id, "state", db_session_state_name(s.state));
    json_t *id = have ? json_integer(vm.id) : json_null();
    /* "none": no desktop held yet; connecting assigns (or, in a personal pool, makes) one. */
    return json_pack("{s:o,s:s,s:s,s:s?,s:s,s:o,s:b}", "id", id, "pool", p->name, "pool_type",
                     db_pool_type_name(p->type), "vm", have ? vm.name : NULL, "state",
                     have ? vm_state_name(vm.state) : "none", "session", session, "allow_reset",
                     p->allow_user_reset);
}

void api_me_desktops(struct api_req *r)
{
    struct dp_err err = {0};
    struct db_pool *pools = NULL;
    size_t n = 0;
    int rc = db_user_entitled_pools(r->d->db, r->user_id, &pools, &n, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, desktop_json(r->d->db, &pools[i], r->user_id));
    free(pools);
    api_reply_items(r, items);
}
