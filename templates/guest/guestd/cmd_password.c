/* SPDX-License-Identifier: Apache-2.0 */
/* guest-set-user-password: stores the NT hash of a new password in the SAM file. */
#include "b64.h"
#include "log.h"
#include "nthash.h"
#include "qga_cmds.h"
#include "sam.h"

#include <string.h>

#define PASSWORD_MAX 256 /* bytes after base64 decoding; RDP clients allow 256 chars */

static const struct qga_arg password_args[] = {
    {"username", QGA_ARG_STR, 1},
    {"password", QGA_ARG_STR, 1},
    {"crypted", QGA_ARG_BOOL, 1},
};

json_t *cmd_guest_set_user_password(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, password_args, 3) != 0)
        return NULL;
    const char *user = json_string_value(json_object_get(args, "username"));
    json_t *b64 = json_object_get(args, "password");
    if (json_is_true(json_object_get(args, "crypted"))) {
        /* NTLM needs the NT hash of the clear password; a crypt(3) hash cannot give it. */
        dp_err_set(&call->err, "crypted passwords are not supported: NLA needs the NT hash, "
                               "which a crypt(3) hash cannot give; send crypted:false with "
                               "the base64 of the clear password");
        return NULL;
    }
    if (sam_user_valid(user, &call->err) != 0)
        return NULL;

    uint8_t password[PASSWORD_MAX];
    long len = dp_b64_decode(json_string_value(b64), json_string_length(b64), password,
                             sizeof password, 1);
    if (len < 0) {
        dp_err_set(&call->err, "password is not valid base64 or longer than %d bytes once decoded",
                   PASSWORD_MAX);
        return NULL;
    }
    if (len == 0) {
        dp_err_set(&call->err, "password must not be empty");
        return NULL;
    }
    uint8_t hash[16];
    int rc = nthash_utf8(password, (size_t)len, hash, &call->err);
    explicit_bzero(password, sizeof password);
    if (rc != 0)
        return NULL;
    rc = sam_set_user(call->ctx->paths.sam, user, hash, &call->err);
    explicit_bzero(hash, sizeof hash);
    if (rc != 0)
        return NULL;
    log_info("password of user %s set in %s", user, call->ctx->paths.sam);
    return json_object();
}
