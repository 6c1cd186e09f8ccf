/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_AUTH_COOKIE_H
#define DESKPOOL_BROKER_AUTH_COOKIE_H

/* HTTPS callers of the portal: the session cookie, its CSRF header, and the session token
 * a caller presented (bearer or cookie) for logout. */
#include "api.h"

#include <stddef.h>
#include <stdint.h>

struct deskpoold;

/*
 * If the request has no Authorization header but the portal's session cookie of a live
 * session: sets CALLER_USER, the actor and *user_id, and returns 1. Otherwise 0 and nothing
 * changes (a stale cookie makes the caller anonymous, so the login page still works).
 */
int auth_cookie(struct deskpoold *d, struct evhttp_request *req, enum api_caller *caller,
                char *actor, size_t actor_cap, int64_t *user_id);

/* 1 if the request's X-CSRF-Token header is the CSRF token of its session cookie. */
int auth_cookie_csrf_ok(struct deskpoold *d, struct evhttp_request *req);

/* The session token the request presented: "Authorization: Bearer T" or the cookie. 0 with
 * out set, or -1 if there is none. */
int auth_session_token(struct evhttp_request *req, char *out, size_t cap);

#endif
