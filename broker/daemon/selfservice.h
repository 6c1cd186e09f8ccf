/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_SELFSERVICE_H
#define DESKPOOL_BROKER_SELFSERVICE_H

/* What the self-service calls share: which desktop a user has in a pool, which pool a
 * connect means, and whether a caller may act on a VM. */
#include "api.h"

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_pool;
struct db_user;
struct db_vm;
struct dp_err;

/* The user's desktop in pool p: a personal pool's VM they own, or the pooled VM they hold.
 * DB_OK with *vm, DB_ENOTFOUND if none, or another DB_E* code. */
int ss_user_vm(struct db *db, const struct db_pool *p, int64_t user_id, struct db_vm *vm,
               struct dp_err *err);

/*
 * The pool a user's connect means: `pool` if not NULL/empty (it must be entitled), else
 * their default pool, else the only pool they may use. DB_OK with *out; otherwise an HTTP
 * status (400 several pools and no default, 403 not entitled, 404 no such pool) with msg.
 */
int ss_choose_pool(struct db *db, const struct db_user *u, const char *pool, struct db_pool *out,
                   char *msg, size_t cap);

/*
 * Finds the desktop r->caps[0] names (a VM id from GET /me/desktops, or its name) and
 * checks the caller may act on it: an admin always; a user only on their own desktop, and
 * only where the pool allows user resets. On refusal answers r (404, 403) and returns -1.
 */
int ss_desktop_for_caller(struct api_req *r, struct db_vm *vm, struct db_pool *p);

#endif
