/* SPDX-License-Identifier: Apache-2.0 */
/* POST /login (HTTPS): user name and password for a session token. The scrypt check runs on
 * a worker; the store counts failures and locks the account. */
#include "api.h"
#include "api_job.h"
#include "daemon.h"
#include "err.h"
#include "store/db.h"
#include "store/db_tokens.h"
#include "store/db_users.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct login_job {
    struct api_job aj;
    char user[64], password[256];
};

static void login_work(struct api_job *aj, struct db *db)
{
    struct login_job *lj = (struct login_job *)aj;
    struct dp_err err = {0};
    struct db_user u;
    char token[DB_TOKEN_TEXT_MAX];
    int ttl = aj->r->d->cfg.session_ttl_s;
    int rc = db_user_check_password(db, lj->user, lj->password, &u, &err);
    OPENSSL_cleanse(lj->password, sizeof lj->password);
    if (rc == DB_EDENIED) {
        api_job_fail(aj, 401, "%s", dp_err_msg(&err));
        return;
    }
    if (rc == DB_OK) {
        rc = db_token_issue(db, DB_TOKEN_API_SESSION, u.id, 0, ttl, token, &err);
    }
    if (rc != DB_OK) {
        api_job_fail_db(aj, rc, &err);
        return;
    }
    aj->status = 200;
    aj->reply = json_pack("{s:s,s:s,s:I}", "token", token, "user", u.name, "expires",
                          (json_int_t)(time(NULL) + ttl));
    OPENSSL_cleanse(token, sizeof token);
}

void api_login(struct api_req *r)
{
    struct login_job *lj = calloc(1, sizeof *lj);
    if (!lj) {
        api_reply_error(r, 500, "out of memory");
        return;
    }
    struct api_field f[] = {
        API_STR("user", 1, lj->user),
        API_STR("password", 1, lj->password),
    };
    if (api_body_fields(r, f, 2) != 0) {
        OPENSSL_cleanse(lj->password, sizeof lj->password);
        free(lj);
        return;
    }
    /* Failures are audited by the store; the actor of a login is the user it names. */
    snprintf(r->actor, sizeof r->actor, "user:%s", lj->user);
    lj->aj.r = r;
    lj->aj.work = login_work;
    api_job_submit(&lj->aj);
}
