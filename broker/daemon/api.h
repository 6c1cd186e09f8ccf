/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_API_H
#define DESKPOOL_BROKER_API_H

/*
 * The HTTP API (docs/API.md): what the router hands a handler and how handlers answer.
 * One api_req per request; a handler answers it exactly once, at once or later from a
 * job's done() (the reply functions free it).
 */
#include "api_json.h"
#include "api_route.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdint.h>

struct deskpoold;
struct dp_err;

enum api_listener { API_UNIX, API_HTTPS };

enum api_caller {
    CALLER_ADMIN,   /* unix socket, root or admin group */
    CALLER_GATEWAY, /* HTTPS with the gateway key */
    CALLER_USER,    /* HTTPS with a session token from POST /login */
    CALLER_ANON,    /* HTTPS without credentials */
};

struct api_req {
    struct deskpoold *d;
    struct evhttp_request *req;
    enum api_listener listener;
    enum api_caller caller;
    char actor[64];  /* for the audit log: "admin:root", "gateway", "user:alice" */
    int64_t user_id; /* CALLER_USER */
    int via_cookie;  /* CALLER_USER by the portal's session cookie (CSRF-checked) */
    char caps[API_MAX_CAPTURES][API_CAPTURE_MAX];
    struct evkeyvalq query;
    json_t *body; /* POST/PUT/PATCH: the parsed object (empty if no body); else NULL */
};

typedef void (*api_handler)(struct api_req *r);

/* The evhttp callback of both listeners (arg: the deskpoold); routes and authenticates. */
void api_router_unix(struct evhttp_request *req, void *arg);
void api_router_https(struct evhttp_request *req, void *arg);

/* --- answering (api_reply.c) --- */

/* Sends status with j as body (stolen; NULL: no body, for 204) and frees r. */
void api_reply_json(struct api_req *r, int status, json_t *j);
/* Sends {"items": items} with 200 (items stolen). */
void api_reply_items(struct api_req *r, json_t *items);
/* Sends {"error": {"code", "message"}} with status; the code follows from the status. */
void api_reply_error(struct api_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends the error of a failed store call: status from the DB_E* code, err's message. */
void api_reply_db(struct api_req *r, int rc, const struct dp_err *err);
/* Frees r without answering (the request is answered elsewhere or gone). */
void api_req_free(struct api_req *r);

/* Validates r->body against fields; on failure answers 400 and returns -1 (r is freed). */
int api_body_fields(struct api_req *r, struct api_field *fields, size_t n);
/* A query parameter or NULL. */
const char *api_query(struct api_req *r, const char *key);
/* Writes an audit event by r's actor on the loop's store connection; a failure is logged
 * (the change it records has already been made). kv: n key/value pairs. */
void api_audit(struct api_req *r, const char *action, const char *object, const char *const *kv,
               size_t n);

/* --- resources, one file each --- */
void api_status_get(struct api_req *r);

void api_templates_list(struct api_req *r);
void api_templates_get(struct api_req *r);
void api_templates_create(struct api_req *r);
void api_templates_build_tiny(struct api_req *r);
void api_templates_delete(struct api_req *r);

void api_pools_list(struct api_req *r);
void api_pools_create(struct api_req *r);
void api_pools_get(struct api_req *r);
void api_pools_patch(struct api_req *r);
void api_pools_recompose(struct api_req *r);
void api_pools_resume(struct api_req *r);
void api_pools_delete(struct api_req *r);

void api_vms_list(struct api_req *r);
void api_vms_get(struct api_req *r);
void api_vms_start(struct api_req *r);
void api_vms_stop(struct api_req *r);
void api_vms_reset(struct api_req *r);
void api_vms_delete(struct api_req *r);

void api_users_list(struct api_req *r);
void api_users_create(struct api_req *r);
void api_users_get(struct api_req *r);
void api_users_patch(struct api_req *r);
void api_users_password(struct api_req *r);
void api_users_delete(struct api_req *r);

void api_groups_list(struct api_req *r);
void api_groups_create(struct api_req *r);
void api_groups_get(struct api_req *r);
void api_groups_delete(struct api_req *r);
void api_groups_member_add(struct api_req *r);
void api_groups_member_remove(struct api_req *r);

void api_entitlements_list(struct api_req *r);
void api_entitlements_create(struct api_req *r);
void api_entitlements_delete(struct api_req *r);

void api_sessions_list(struct api_req *r);
void api_sessions_logoff(struct api_req *r);
void api_sessions_disconnect(struct api_req *r);

void api_events_list(struct api_req *r);

void api_desktops_request(struct api_req *r);

void api_login(struct api_req *r);

void api_gateway_ntlm_hash(struct api_req *r);
void api_gateway_login_result(struct api_req *r);
void api_gateway_session_event(struct api_req *r);
void api_gateway_token_redeem(struct api_req *r);

/* Self-service (users over HTTPS; admins on the socket where it makes sense). */
void api_logout(struct api_req *r);
void api_me_get(struct api_req *r);
void api_me_desktops(struct api_req *r);
void api_desktop_reset(struct api_req *r);
void api_desktop_restart(struct api_req *r);
void api_desktop_connect(struct api_req *r);
void api_desktop_connect_rdp(struct api_req *r);
void api_portal_login(struct api_req *r);
/* The portal's files (outside /api/v1): answers r; 404 for a path that is not one. */
void api_portal_static(struct api_req *r, const char *path);

/* JSON of one VM, shared by /vms and /pools/NAME. */
struct db_vm;
json_t *api_vm_json(const struct db_vm *vm);

#endif
