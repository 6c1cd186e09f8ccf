/* SPDX-License-Identifier: Apache-2.0 */
/* /gateway/...: what the stateless deskpool-gw asks the broker (HTTPS with the gateway key):
 * the NLA hash of a user, the outcome of an NLA login, session events, routing tokens. */
#include "api.h"
#include "daemon.h"
#include "err.h"
#include "pool_mgr.h"
#include "routing_token.h"
#include "store/db.h"
#include "store/db_sessions.h"
#include "store/db_tokens.h"
#include "store/db_users.h"
#include "store/db_vms.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void api_gateway_ntlm_hash(struct api_req *r)
{
    char user[64], domain[256] = "";
    struct api_field f[] = {API_STR("user", 1, user), API_STR("domain", 0, domain)};
    if (api_body_fields(r, f, 2) != 0)
        return;
    struct dp_err err = {0};
    struct db_user u;
    int rc = db_user_get(r->d->db, user, &u, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    uint8_t h[16];
    char hex[33];
    if ((rc = db_user_ntlm_v2_hash(r->d->db, user, domain, &r->d->key, h, &err)) != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    api_reply_json(r, 200, json_pack("{s:s}", "ntowfv2", hex));
    OPENSSL_cleanse(h, sizeof h);
    OPENSSL_cleanse(hex, sizeof hex);
}

void api_gateway_login_result(struct api_req *r)
{
    char user[64], client_addr[64] = "";
    int ok = 0;
    struct api_field f[] = {API_STR("user", 1, user), API_BOOL("ok", 1, &ok),
                            API_STR("client_addr", 0, client_addr)};
    if (api_body_fields(r, f, 3) != 0)
        return;
    struct dp_err err = {0};
    struct db_user u;
    char obj[96];
    snprintf(obj, sizeof obj, "user:%s", user);
    const char *kv[] = {"client_addr", client_addr, "via", "nla", "reason", "unknown user"};
    db_set_actor(r->d->db, r->actor);
    int rc = db_user_get(r->d->db, user, &u, NULL);
    if (rc == DB_ENOTFOUND) {
        /* Nothing to count, but an admin wants to see names being tried. */
        api_audit(r, "user.login_failed", obj, kv, 3);
        api_reply_json(r, 204, NULL);
        return;
    }
    if (rc == DB_OK)
        rc = ok ? db_user_login_ok(r->d->db, u.id, &err)
                : db_user_login_failed(r->d->db, u.id, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    if (ok) /* failures are audited by the store, with the count */
        api_audit(r, "user.login", obj, kv, 2);
    api_reply_json(r, 204, NULL);
}

void api_gateway_session_event(struct api_req *r)
{
    char event[16];
    int64_t in = 0, out = 0;
    struct api_field f[] = {API_STR("event", 1, event), API_COUNT("bytes_in", 0, &in),
                            API_COUNT("bytes_out", 0, &out)};
    if (api_body_fields(r, f, 3) != 0)
        return;
    enum pool_session_event ev;
    if (strcmp(event, "connected") == 0)
        ev = POOL_SESSION_CONNECTED;
    else if (strcmp(event, "disconnected") == 0)
        ev = POOL_SESSION_DISCONNECTED;
    else if (strcmp(event, "logoff") == 0)
        ev = POOL_SESSION_LOGOFF;
    else {
        api_reply_error(r, 400,
                        "field \"event\" is \"%s\"; it must be connected, disconnected or logoff",
                        event);
        return;
    }
    char *end;
    errno = 0;
    long long id = strtoll(r->caps[0], &end, 10);
    struct dp_err err = {0};
    struct db_session s;
    int rc = DB_ENOTFOUND;
    if (errno || *end || id <= 0)
        dp_err_set(&err, "no session \"%s\"; session ids are numbers", r->caps[0]);
    else
        rc = db_session_get(r->d->db, id, &s, &err);
    if (rc == DB_OK)
        rc = pool_mgr_session_event(r->d->pm, id, ev, in, out, &err);
    if (rc != DB_OK)
        api_reply_db(r, rc, &err);
    else
        api_reply_json(r, 204, NULL);
}

void api_gateway_token_redeem(struct api_req *r)
{
    char token[ROUTING_TOKEN_TEXT_MAX];
    struct api_field f[] = {API_STR("token", 1, token)};
    if (api_body_fields(r, f, 1) != 0)
        return;
    struct dp_err err = {0};
    struct db_token t;
    struct db_vm vm;
    struct db_session s;
    struct routing_token_parts tp;
    uint8_t key[32];
    db_set_actor(r->d->db, r->actor);
    /* Signed tokens only (routing_token.h): a malformed, forged or expired one is refused
     * before the store is asked, so it spends nothing; the spent row must then name the
     * user and VM the token was signed for. */
    int rc = DB_EDENIED;
    if (routing_token_split(token, &tp) == 0 && routing_token_key(r->d->key.k, key) == 0 &&
        routing_token_valid(key, &tp, (int64_t)time(NULL)))
        rc = db_token_redeem(r->d->db, tp.raw, DB_TOKEN_ROUTING, &t, &err);
    OPENSSL_cleanse(token, sizeof token);
    if (rc == DB_OK && (t.user_id != tp.user_id || t.vm_id != tp.vm_id))
        rc = DB_EDENIED;
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&tp, sizeof tp);
    if (rc == DB_EDENIED)
        dp_err_set(&err, "token not valid (unknown, expired or already used); ask for a new one");
    if (rc == DB_OK && !t.vm_id) {
        dp_err_set(&err, "the routing token names no desktop; ask for a new one");
        rc = DB_EDENIED;
    }
    if (rc == DB_OK)
        rc = db_vm_get_by_id(r->d->db, t.vm_id, &vm, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    int64_t sid = db_session_on_vm(r->d->db, vm.id, &s, NULL) == DB_OK ? s.id : 0;
    /* "local" VMs are reached through QEMU's user networking on the loopback. */
    const char *host = strcmp(vm.host, "local") == 0 || !vm.host[0] ? "127.0.0.1" : vm.host;
    api_reply_json(r, 200,
                   json_pack("{s:s,s:s,s:s,s:i,s:I}", "user", t.user, "vm", vm.name, "host", host,
                             "port", vm.rdp_port, "session_id", (json_int_t)sid));
}
