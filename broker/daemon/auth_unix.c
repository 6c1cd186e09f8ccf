/* SPDX-License-Identifier: Apache-2.0 */
/* The admin check of the unix socket: SO_PEERCRED, then root or the admin group. */
#include "auth.h"
#include "daemon.h"

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/socket.h>

int auth_is_admin(uid_t uid, const gid_t *gids, size_t ngids, int has_admin_gid, gid_t admin_gid)
{
    if (uid == 0)
        return 1;
    if (!has_admin_gid)
        return 0;
    for (size_t i = 0; i < ngids; i++)
        if (gids[i] == admin_gid)
            return 1;
    return 0;
}

int auth_unix_admin(struct deskpoold *d, struct evhttp_request *req, char *actor, size_t actor_cap,
                    char *msg, size_t cap)
{
    struct evhttp_connection *con = evhttp_request_get_connection(req);
    struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (!bev || getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        snprintf(msg, cap, "cannot tell who is calling (SO_PEERCRED failed); call again");
        return 0;
    }
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];
    getpwuid_r(cred.uid, &pw, pwbuf, sizeof pwbuf, &pwp);
    gid_t gids[256];
    int ngids = 256;
    gids[0] = cred.gid;
    if (!pwp || getgrouplist(pwp->pw_name, pwp->pw_gid, gids + 1, &ngids) < 0)
        ngids = 0;
    if (auth_is_admin(cred.uid, gids, (size_t)ngids + 1, d->has_admin_gid, d->admin_gid)) {
        snprintf(actor, actor_cap, "admin:%s", pwp ? pwp->pw_name : "?");
        if (!pwp)
            snprintf(actor, actor_cap, "admin:uid%u", (unsigned)cred.uid);
        return 1;
    }
    const char *who = pwp ? pwp->pw_name : "(no user name)";
    if (d->has_admin_gid)
        snprintf(msg, cap,
                 "uid %u (%s) may not use the admin API: run as root, or add the user to group "
                 "\"%s\" (admin_group in %s) and log in again",
                 (unsigned)cred.uid, who, d->cfg.admin_group,
                 d->cfg.path[0] ? d->cfg.path : DESKPOOLD_DEFAULT_CONFIG);
    else
        snprintf(msg, cap,
                 "uid %u (%s) may not use the admin API: run as root, or set admin_group in "
                 "the [broker] section of %s and add the user to that group",
                 (unsigned)cred.uid, who, d->cfg.path[0] ? d->cfg.path : DESKPOOLD_DEFAULT_CONFIG);
    return 0;
}
