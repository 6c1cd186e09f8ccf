/* SPDX-License-Identifier: Apache-2.0 */
/* guest-get-users: who is logged in, from the file the desktop server keeps. */
#include "files.h"
#include "qga_cmds.h"
#include "users_file.h"

#include <errno.h>
#include <stdlib.h>

json_t *cmd_guest_get_users(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, NULL, 0) != 0)
        return NULL;
    const char *path = call->ctx->paths.users;
    if (!dp_path_exists(path))
        return json_array(); /* no desktop server session yet: nobody logged in */
    size_t len = 0;
    char *text = dp_read_file(path, USERS_FILE_MAX, &len, &call->err);
    if (!text)
        return NULL;
    json_t *users = users_file_parse(text, len);
    free(text);
    if (!users)
        dp_err_set(&call->err, "out of memory listing users");
    return users;
}
