/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-logoff-user: ends a user's desktop session, connected or disconnected (the
 * broker's forced logoff, e.g. when a disconnected session times out). The desktop server
 * ends them and rewrites the users file before it answers, so a guest-get-users right
 * after no longer lists the user.
 */
#include "desktop_ctl.h"
#include "files.h"
#include "log.h"
#include "qga_cmds.h"
#include "users_file.h"

#include <stdlib.h>
#include <string.h>

static const struct qga_arg logoff_args[] = {
    {"user", QGA_ARG_STR, 1},
};

/* Whether the users file lists user (with any domain). */
static int listed(const char *users_path, const char *user)
{
    size_t len = 0;
    char *text = dp_read_file(users_path, USERS_FILE_MAX, &len, NULL);
    if (!text)
        return 0;
    json_t *list = users_file_parse(text, len);
    free(text);
    int found = 0;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) found |=
        strcmp(json_string_value(json_object_get(e, "user")), user) == 0;
    json_decref(list);
    return found;
}

json_t *cmd_deskpool_logoff_user(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, logoff_args, 1) != 0)
        return NULL;
    const char *user = json_string_value(json_object_get(args, "user"));
    size_t len = json_string_length(json_object_get(args, "user"));
    if (len == 0 || len > 256 || strlen(user) != len) {
        dp_err_set(&call->err, "user must be 1-256 bytes without NUL");
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)user[i] < 0x20 || user[i] == 0x7f) {
            dp_err_set(&call->err, "user must not contain control characters");
            return NULL;
        }
    }
    int n = desktop_ctl_logoff(call->ctx->paths.control, user, &call->err);
    if (n == -2) {
        /* No desktop server: nobody has a session, unless its users file says otherwise
         * (then the server died, and the caller must know the user is not logged off). */
        dp_err_clear(&call->err);
        if (listed(call->ctx->paths.users, user)) {
            dp_err_set(&call->err,
                       "%s lists %s but the desktop server does not answer on %s; is "
                       "deskpool-desktop running?",
                       call->ctx->paths.users, user, call->ctx->paths.control);
            return NULL;
        }
        n = 0;
    }
    if (n < 0)
        return NULL;
    log_info("logoff of user %s: %d session(s) ended", user, n);
    return json_pack("{s:i}", "ended", n);
}
