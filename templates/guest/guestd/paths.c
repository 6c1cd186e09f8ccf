/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"
#include "guestd.h"

#include <stdio.h>
#include <string.h>

static int join(char *out, const char *root, const char *path, struct dp_err *err)
{
    size_t rlen = strlen(root);
    while (rlen > 0 && root[rlen - 1] == '/')
        rlen--; /* "/" and "" both mean the real root */
    if (snprintf(out, PATH_MAX, "%.*s%s", (int)rlen, root, path) >= PATH_MAX) {
        dp_err_set(err, "--root %s is too long", root);
        return -1;
    }
    return 0;
}

int guestd_paths_init(struct guestd_paths *paths, const char *root, struct dp_err *err)
{
    if (!root)
        root = "";
    if (join(paths->sam, root, GUESTD_SAM_PATH, err) != 0 ||
        join(paths->users, root, GUESTD_USERS_PATH, err) != 0 ||
        join(paths->hostname, root, GUESTD_HOSTNAME_PATH, err) != 0 ||
        guestd_control_beside(paths->control, paths->users, err) != 0)
        return -1;
    return 0;
}

int guestd_control_beside(char out[PATH_MAX], const char *users, struct dp_err *err)
{
    const char *slash = strrchr(users, '/');
    int dir_len = slash ? (int)(slash - users) : 0;
    int n = slash ? snprintf(out, PATH_MAX, "%.*s/%s", dir_len, users, GUESTD_CONTROL_NAME)
                  : snprintf(out, PATH_MAX, "%s", GUESTD_CONTROL_NAME);
    if (n >= PATH_MAX) {
        dp_err_set(err, "users file path %s is too long", users);
        return -1;
    }
    return 0;
}
