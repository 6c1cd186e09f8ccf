/* SPDX-License-Identifier: Apache-2.0 */
/* The route table, and the path every request takes: route, authenticate, body, handler. */
#include "api.h"
#include "auth.h"
#include "auth_cookie.h"
#include "daemon.h"
#include "log.h"

#include <event2/buffer.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

/* Who may call a route. */
#define A_ADMIN 1   /* unix socket */
#define A_GATEWAY 2 /* HTTPS with the gateway key */
#define A_ANON 4    /* HTTPS, no credential (logging in) */
#define A_USER 8    /* HTTPS, a user's session (bearer token or the portal's cookie) */
/* A GET that changes state (issues a token): a cookie caller needs the CSRF header, as on
 * every other method. */
#define A_CSRF_GET 16
/* Logging in: no CSRF header (the new session's token is what the answer gives). */
#define A_LOGIN 32

struct route {
    enum evhttp_cmd_type method;
    const char *pattern;
    api_handler fn;
    int access;
};

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define PATCH EVHTTP_REQ_PATCH
#define DEL EVHTTP_REQ_DELETE

static const struct route routes[] = {
    {GET, "/status", api_status_get, A_ADMIN | A_GATEWAY},
    {GET, "/templates", api_templates_list, A_ADMIN},
    {POST, "/templates", api_templates_create, A_ADMIN},
    {POST, "/templates/tiny/build", api_templates_build_tiny, A_ADMIN},
    {GET, "/templates/*", api_templates_get, A_ADMIN},
    {DEL, "/templates/*", api_templates_delete, A_ADMIN},
    {GET, "/pools", api_pools_list, A_ADMIN},
    {POST, "/pools", api_pools_create, A_ADMIN},
    {GET, "/pools/*", api_pools_get, A_ADMIN},
    {PATCH, "/pools/*", api_pools_patch, A_ADMIN},
    {DEL, "/pools/*", api_pools_delete, A_ADMIN},
    {POST, "/pools/*/recompose", api_pools_recompose, A_ADMIN},
    {POST, "/pools/*/resume", api_pools_resume, A_ADMIN},
    {GET, "/vms", api_vms_list, A_ADMIN},
    {GET, "/vms/*", api_vms_get, A_ADMIN},
    {DEL, "/vms/*", api_vms_delete, A_ADMIN},
    {POST, "/vms/*/start", api_vms_start, A_ADMIN},
    {POST, "/vms/*/stop", api_vms_stop, A_ADMIN},
    {POST, "/vms/*/reset", api_vms_reset, A_ADMIN},
    {GET, "/users", api_users_list, A_ADMIN},
    {POST, "/users", api_users_create, A_ADMIN},
    {GET, "/users/*", api_users_get, A_ADMIN},
    {PATCH, "/users/*", api_users_patch, A_ADMIN},
    {DEL, "/users/*", api_users_delete, A_ADMIN},
    {PUT, "/users/*/password", api_users_password, A_ADMIN},
    {GET, "/groups", api_groups_list, A_ADMIN},
    {POST, "/groups", api_groups_create, A_ADMIN},
    {GET, "/groups/*", api_groups_get, A_ADMIN},
    {DEL, "/groups/*", api_groups_delete, A_ADMIN},
    {POST, "/groups/*/members", api_groups_member_add, A_ADMIN},
    {DEL, "/groups/*/members/*", api_groups_member_remove, A_ADMIN},
    {GET, "/entitlements", api_entitlements_list, A_ADMIN},
    {POST, "/entitlements", api_entitlements_create, A_ADMIN},
    {DEL, "/entitlements/*", api_entitlements_delete, A_ADMIN},
    {GET, "/sessions", api_sessions_list, A_ADMIN},
    {POST, "/sessions/*/logoff", api_sessions_logoff, A_ADMIN},
    {POST, "/sessions/*/disconnect", api_sessions_disconnect, A_ADMIN},
    {GET, "/events", api_events_list, A_ADMIN},
    {POST, "/desktops/request", api_desktops_request, A_ADMIN | A_GATEWAY},
    {POST, "/login", api_login, A_ANON},
    {POST, "/gateway/ntlm-hash", api_gateway_ntlm_hash, A_GATEWAY},
    {POST, "/gateway/login-result", api_gateway_login_result, A_GATEWAY},
    {POST, "/gateway/sessions/*/event", api_gateway_session_event, A_GATEWAY},
    {POST, "/gateway/tokens/redeem", api_gateway_token_redeem, A_GATEWAY},
    {POST, "/portal/login", api_portal_login, A_ANON | A_USER | A_LOGIN},
    {POST, "/logout", api_logout, A_USER},
    {GET, "/me", api_me_get, A_USER},
    {GET, "/me/desktops", api_me_desktops, A_USER},
    {POST, "/desktops/connect", api_desktop_connect, A_USER},
    {GET, "/desktops/connect.rdp", api_desktop_connect_rdp, A_USER | A_CSRF_GET},
    {POST, "/desktops/*/reset", api_desktop_reset, A_ADMIN | A_USER},
    {POST, "/desktops/*/restart", api_desktop_restart, A_ADMIN | A_USER},
};

#define PREFIX "/api/v1"

static int caller_bit(enum api_caller c)
{
    switch (c) {
    case CALLER_ADMIN:
        return A_ADMIN;
    case CALLER_GATEWAY:
        return A_GATEWAY;
    case CALLER_ANON:
        return A_ANON;
    case CALLER_USER:
        return A_USER;
    }
    return 0;
}

/* Reads and parses the body of POST/PUT/PATCH into r->body; answers 400/413 itself. */
static int read_body(struct api_req *r)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(r->req);
    if (m != POST && m != PUT && m != PATCH)
        return 0;
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    char msg[512];
    const char *buf = len <= API_BODY_MAX ? (const char *)evbuffer_pullup(in, -1) : NULL;
    int st = api_json_body(buf, len, &r->body, msg, sizeof msg);
    if (st) {
        api_reply_error(r, st, "%s", msg);
        return -1;
    }
    return 0;
}

static void route(struct evhttp_request *req, struct deskpoold *d, enum api_listener listener)
{
    struct api_req *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    r->d = d;
    r->req = req;
    r->listener = listener;
    TAILQ_INIT(&r->query);
    char msg[1024];

    /* Who first: a non-admin on the socket learns nothing else, not even what exists. */
    if (listener == API_UNIX) {
        if (!auth_unix_admin(d, req, r->actor, sizeof r->actor, msg, sizeof msg)) {
            api_reply_error(r, 403, "%s", msg);
            return;
        }
        r->caller = CALLER_ADMIN;
    } else {
        int st = auth_bearer(d, req, &r->caller, r->actor, sizeof r->actor, &r->user_id, msg,
                             sizeof msg);
        if (st) {
            api_reply_error(r, st, "%s", msg);
            return;
        }
        if (r->caller == CALLER_ANON)
            r->via_cookie = auth_cookie(d, req, &r->caller, r->actor, sizeof r->actor, &r->user_id);
    }

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = evhttp_uri_get_path(uri);
    const char *q = evhttp_uri_get_query(uri);
    if (q && evhttp_parse_query_str(q, &r->query) != 0) {
        api_reply_error(r, 400, "the query string is malformed");
        return;
    }
    /* The portal's pages, scripts and styles: public files, outside the API. */
    if (listener == API_HTTPS && path && strncmp(path, PREFIX "/", sizeof PREFIX) != 0)
        return api_portal_static(r, path);
    if (!path || strncmp(path, PREFIX "/", sizeof PREFIX) != 0)
        return api_reply_error(r, 404,
                               "no such path %s; the API is under " PREFIX "/ (see "
                               "docs/API.md)",
                               path ? path : "");
    const char *sub = path + sizeof PREFIX - 1;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    const struct route *hit = NULL;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !hit; i++) {
        int n;
        if (!api_route_match(routes[i].pattern, sub, r->caps, &n))
            continue;
        path_known = 1;
        if (routes[i].method == m)
            hit = &routes[i];
    }
    if (!hit && path_known)
        return api_reply_error(r, 405, "%s does not take this method; see docs/API.md", path);
    if (!hit)
        return api_reply_error(r, 404, "no such path %s; see docs/API.md", path);
    if (!(hit->access & caller_bit(r->caller))) {
        if (r->caller == CALLER_ANON) {
            if (hit->access & A_USER)
                api_reply_error(r, 401,
                                "%s needs a login: POST /api/v1/login (then Authorization: "
                                "Bearer TOKEN) or log in on the portal",
                                path);
            else
                api_reply_error(r, 401,
                                "%s needs a credential: Authorization: Bearer GATEWAY-KEY "
                                "(the gateway key file of the broker's config)",
                                path);
            return;
        }
        if (listener == API_UNIX) {
            api_reply_error(r, 404, "%s is served on HTTPS only", path);
            return;
        }
        return api_reply_error(r, 403,
                               "%s is not for %s callers; admins use the unix socket "
                               "(the deskpool CLI)",
                               path, r->caller == CALLER_GATEWAY ? "gateway" : "user");
    }
    /* A cookie goes with any request the browser makes, even one another site triggers:
     * state changes made with it must also prove they come from the portal's script. */
    if (r->via_cookie && !(hit->access & A_LOGIN) && (m != GET || (hit->access & A_CSRF_GET)) &&
        !auth_cookie_csrf_ok(d, req))
        return api_reply_error(r, 403,
                               "%s: the X-CSRF-Token header is missing or wrong; reload the "
                               "portal and log in again",
                               path);
    if (read_body(r) != 0)
        return;
    hit->fn(r);
}

void api_router_unix(struct evhttp_request *req, void *arg)
{
    route(req, arg, API_UNIX);
}

void api_router_https(struct evhttp_request *req, void *arg)
{
    route(req, arg, API_HTTPS);
}
