/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /desktops/connect and GET /desktops/connect.rdp: assign the user's desktop as
 * /desktops/request does, set the user's own NT hash in it (the client's NLA goes end to
 * end to the VM on this path), then hand out a one-time routing token for the gateway, as
 * JSON or as a .rdp file. The blocking part runs on a worker.
 */
#include "api.h"
#include "daemon.h"
#include "desktop_nthash.h"
#include "err.h"
#include "log.h"
#include "pool_mgr.h"
#include "rdp_file.h"
#include "routing_token.h"
#include "selfservice.h"
#include "store/db.h"
#include "store/db_pools.h"
#include "store/db_tokens.h"
#include "store/db_users.h"
#include "store/db_vms.h"
#include "workers.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A .rdp download cannot say "ask again" to a browser: it waits for a starting VM up to
 * this long (under the HTTPS connection timeout of 60 s). */
#define RDP_WAIT_S 45
#define QGA_TIMEOUT_MS 10000

struct connect_job {
    struct work job;
    struct api_req *r;
    int rdp;
    int64_t user_id, pool_id;
    char user[64], pool[64], client_addr[64], gateway[256];
    /* the answer */
    int status;
    json_t *reply;
    char msg[1024];
    char file[2048];
    int retry_after;
};

static void fail(struct connect_job *cj, int status, const struct dp_err *err, const char *dflt)
{
    cj->status = status;
    snprintf(cj->msg, sizeof cj->msg, "%s", err && err->set ? err->msg : dflt);
}

/* The token for a READY desktop: NT hash into the VM, then a signed one-time token. */
static void issue(struct connect_job *cj, struct db *db, const struct pool_desktop *out)
{
    struct deskpoold *d = cj->r->d;
    struct dp_err err = {0};
    struct db_vm vm;
    char raw[DB_TOKEN_TEXT_MAX], token[ROUTING_TOKEN_TEXT_MAX];
    uint8_t key[32];
    int rc = db_vm_get(db, out->vm, &vm, &err);
    if (rc != DB_OK) {
        fail(cj, 500, &err, "the desktop vanished; try again");
        return;
    }
    /* The account the pool manager set credentials for: the user's own name (deskpoold
     * leaves the pool manager's guest_account unset). */
    if (desktop_set_user_nthash(db, &d->key, d->cfg.state_dir, vm.name, cj->user_id,
                                out->username[0] ? out->username : cj->user, QGA_TIMEOUT_MS,
                                &err) != 0) {
        fail(cj, 500, &err, "cannot set your password in the desktop");
        return;
    }
    rc = db_token_issue(db, DB_TOKEN_ROUTING, cj->user_id, vm.id, ROUTING_TOKEN_TTL_S, raw, &err);
    int64_t expires = (int64_t)time(NULL) + ROUTING_TOKEN_TTL_S;
    if (rc == DB_OK &&
        (routing_token_key(d->key.k, key) != 0 ||
         routing_token_compose(key, raw, cj->user_id, vm.id, expires, token, sizeof token) != 0)) {
        dp_err_set(&err, "cannot sign the routing token (OpenSSL failed); see the broker's log");
        rc = DB_EIO;
    }
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(key, sizeof key);
    if (rc != DB_OK) {
        fail(cj, 500, &err, "cannot issue a routing token");
        return;
    }
    struct rdp_file_in in = {cj->gateway, token, cj->user};
    if (rdp_file_build(&in, cj->file, sizeof cj->file) != 0) {
        fail(cj, 500, NULL,
             "cannot write the .rdp file (gateway_address or user name holds control "
             "characters); fix gateway_address in the broker's config");
    } else {
        cj->status = 200;
        cj->reply =
            json_pack("{s:s,s:I,s:s,s:s,s:s}", "token", token, "expires", (json_int_t)expires,
                      "gateway", cj->gateway, "vm", vm.name, "rdp_file", cj->file);
    }
    OPENSSL_cleanse(token, sizeof token);
}

static void connect_run(struct work *j, struct db *db)
{
    struct connect_job *cj = (struct connect_job *)j;
    db_set_actor(db, cj->r->actor);
    time_t deadline = time(NULL) + (cj->rdp ? RDP_WAIT_S : 0);
    for (;;) {
        struct pool_desktop out;
        struct dp_err err = {0};
        memset(&out, 0, sizeof out);
        int rc = pool_mgr_request_desktop(cj->r->d->pm, cj->user_id, cj->pool_id,
                                          cj->client_addr[0] ? cj->client_addr : NULL, &out, &err);
        /* The gateway never sees this one-time password: the token path does not inject. */
        OPENSSL_cleanse(out.password, sizeof out.password);
        if (rc == DB_ECONFLICT) {
            fail(cj, 503, &err, "no desktop free in this pool; try again later");
            return;
        }
        if (rc != DB_OK) {
            cj->status = rc == DB_EDENIED ? 403 : rc == DB_ENOTFOUND ? 404 : 500;
            fail(cj, cj->status, &err, "cannot assign a desktop");
            return;
        }
        if (out.status == POOL_DESKTOP_READY) {
            issue(cj, db, &out);
            return;
        }
        cj->retry_after = out.retry_after_s > 0 ? out.retry_after_s : 1;
        if (time(NULL) + cj->retry_after > deadline) {
            cj->status = 202;
            cj->reply = json_pack("{s:s,s:s,s:i}", "status", "starting", "vm", out.vm,
                                  "retry_after_s", cj->retry_after);
            return;
        }
        sleep((unsigned)cj->retry_after);
    }
}

static void send_file(struct connect_job *cj)
{
    struct api_req *r = cj->r;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    char disp[128];
    /* Pool names are [a-z0-9-]; anything else would not reach here, but a header is no
     * place to find out. */
    size_t n = strspn(cj->pool, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
    snprintf(disp, sizeof disp, "attachment; filename=\"%.*s.rdp\"", (int)(n ? n : 7),
             n ? cj->pool : "desktop");
    evhttp_add_header(h, "Content-Type", "application/x-rdp");
    evhttp_add_header(h, "Content-Disposition", disp);
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add(b, cj->file, strlen(cj->file));
    log_info("%s GET /api/v1/desktops/connect.rdp -> 200 (a routing token for pool %s)", r->actor,
             cj->pool);
    evhttp_send_reply(r->req, 200, "OK", b);
    if (b)
        evbuffer_free(b);
    api_req_free(r);
}

static void connect_done(struct work *j)
{
    struct connect_job *cj = (struct connect_job *)j;
    struct api_req *r = cj->r;
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    /* The answer holds a token: no cache may keep it. */
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (cj->status == 202) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", cj->retry_after);
        evhttp_add_header(h, "Retry-After", ra);
    }
    if (cj->status == 200 && cj->rdp) {
        json_decref(cj->reply);
        send_file(cj);
    } else if (cj->reply) {
        api_reply_json(r, cj->status, cj->reply);
    } else {
        api_reply_error(r, cj->status ? cj->status : 500, "%s", cj->msg);
    }
    OPENSSL_cleanse(cj->file, sizeof cj->file);
    free(cj);
}

/* This host's name and the RDP port, when gateway_address is not set. */
static void gateway_address(const struct dp_config *c, char *out, size_t cap)
{
    char host[256] = "localhost";
    if (c->gateway_address[0]) {
        snprintf(out, cap, "%s", c->gateway_address);
        return;
    }
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(out, cap, "%s:3389", host);
}

static void start(struct api_req *r, int rdp, const char *pool)
{
    struct db_user u;
    struct db_pool p;
    char msg[1024];
    struct dp_err err = {0};
    int rc = db_user_get_by_id(r->d->db, r->user_id, &u, &err);
    if (rc != DB_OK) {
        api_reply_db(r, rc, &err);
        return;
    }
    int st = ss_choose_pool(r->d->db, &u, pool, &p, msg, sizeof msg);
    if (st != DB_OK) {
        api_reply_error(r, st, "%s", msg);
        return;
    }
    struct connect_job *cj = calloc(1, sizeof *cj);
    if (!cj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    cj->r = r;
    cj->rdp = rdp;
    cj->user_id = u.id;
    cj->pool_id = p.id;
    snprintf(cj->user, sizeof cj->user, "%s", u.name);
    snprintf(cj->pool, sizeof cj->pool, "%s", p.name);
    gateway_address(&r->d->cfg, cj->gateway, sizeof cj->gateway);
    char *addr = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *con = evhttp_request_get_connection(r->req);
    if (con)
        evhttp_connection_get_peer(con, &addr, &port);
    snprintf(cj->client_addr, sizeof cj->client_addr, "%s", addr ? addr : "");
    cj->job.run = connect_run;
    cj->job.done = connect_done;
    workers_submit(r->d->workers, &cj->job);
}

void api_desktop_connect(struct api_req *r)
{
    char pool[64] = "";
    struct api_field f[] = {API_STR("pool", 0, pool)};
    if (api_body_fields(r, f, 1) != 0)
        return;
    start(r, 0, pool);
}

void api_desktop_connect_rdp(struct api_req *r)
{
    const char *pool = api_query(r, "pool");
    if (pool && strlen(pool) >= 64) {
        api_reply_error(r, 400, "query parameter \"pool\" is longer than 63 bytes");
        return;
    }
    start(r, 1, pool);
}
