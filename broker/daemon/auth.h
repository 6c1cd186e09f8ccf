/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_AUTH_H
#define DESKPOOL_BROKER_AUTH_H

/* Who is calling: the admin check of the unix socket and the bearer check of HTTPS. */
#include "api.h"

#include <stddef.h>
#include <sys/types.h>

struct deskpoold;

/* 1 if uid (with these gids) may use the admin API: root always; anyone else only if
 * has_admin_gid and admin_gid is among gids. Pure. */
int auth_is_admin(uid_t uid, const gid_t *gids, size_t ngids, int has_admin_gid, gid_t admin_gid);

/*
 * The unix socket's check: reads the peer's uid with SO_PEERCRED and its groups from the
 * user database. Returns 1 (actor set to "admin:NAME") or 0 with a 403 message naming the
 * uid and what to do.
 */
int auth_unix_admin(struct deskpoold *d, struct evhttp_request *req, char *actor, size_t actor_cap,
                    char *msg, size_t cap);

/*
 * HTTPS: who the Authorization header names. No header: CALLER_ANON, returns 0. The
 * gateway key: CALLER_GATEWAY. A live session token from POST /login: CALLER_USER with
 * *user_id. Anything else: returns 401 with msg (which never echoes the credential).
 */
int auth_bearer(struct deskpoold *d, struct evhttp_request *req, enum api_caller *caller,
                char *actor, size_t actor_cap, int64_t *user_id, char *msg, size_t cap);

#endif
