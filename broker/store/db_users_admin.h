/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_USERS_ADMIN_H
#define DESKPOOL_BROKER_DB_USERS_ADMIN_H

/* Admin edits of a user that db_users.h does not offer (added for deskpoold's
 * PATCH /users/NAME). Both are audited in the same transaction. */
#include <stdint.h>

struct db;
struct dp_err;

/* Sets the display name (at most 127 bytes; "" clears it). */
int db_user_set_display_name(struct db *db, int64_t user_id, const char *display_name,
                             struct dp_err *err);

/* Ends a lockout now: failed_logins and locked_until back to 0. */
int db_user_unlock(struct db *db, int64_t user_id, struct dp_err *err);

#endif
