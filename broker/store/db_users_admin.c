/* SPDX-License-Identifier: Apache-2.0 */
/* Admin edits of a user: display name, unlock. */
#include "db_users_admin.h"
#include "db_internal.h"
#include "db_users.h"

#include "err.h"

#include <string.h>

/* Runs `sql` (?1 text value or NULL, ?2 the id) and audits `action` on the user, in one
 * transaction. */
static int update(struct db *db, int64_t user_id, const char *sql, const char *value,
                  const char *action, const char *const *kv, size_t nkv, struct dp_err *err)
{
    struct db_user u;
    int rc = db_begin(db, err);
    if (rc != DB_OK)
        return rc;
    rc = db_user_get_by_id(db, user_id, &u, err);
    sqlite3_stmt *st = NULL;
    if (rc == DB_OK && !(st = db_prep(db, sql, err)))
        rc = DB_EIO;
    if (rc == DB_OK) {
        db_bind_text(st, 1, value);
        sqlite3_bind_int64(st, 2, user_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(db, err, "updating a user");
    }
    sqlite3_finalize(st);
    if (rc == DB_OK)
        rc = db_audit_add_kv_internal(db, action, "user", u.name, kv, nkv, err);
    if (rc == DB_OK)
        return db_commit(db, err);
    db_rollback(db);
    return rc;
}

int db_user_set_display_name(struct db *db, int64_t user_id, const char *display_name,
                             struct dp_err *err)
{
    if (!display_name || strlen(display_name) > 127) {
        dp_err_set(err, "a display name is at most 127 bytes; shorten it");
        return DB_EINVAL;
    }
    const char *kv[] = {"display_name", display_name};
    return update(db, user_id, "UPDATE users SET display_name = coalesce(?1, '') WHERE id = ?2",
                  display_name, "user.display_name", kv, 1, err);
}

int db_user_unlock(struct db *db, int64_t user_id, struct dp_err *err)
{
    return update(db, user_id,
                  "UPDATE users SET failed_logins = 0, locked_until = 0"
                  " WHERE id = ?2 AND (?1 IS NULL)",
                  NULL, "user.unlock", NULL, 0, err);
}
