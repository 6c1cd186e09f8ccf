/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTPS listener: evhttp over bufferevent_openssl, as libevent's https sample does. */
#include "daemon.h"
#include "err.h"
#include "listen.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/ssl.h>

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);
    if (!ssl)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    /* Clients that close without close_notify (curl, most HTTP clients) are normal here. */
    if (bev)
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

int listen_https(struct deskpoold *d, struct dp_err *err)
{
    d->http_https = evhttp_new(d->base);
    if (!d->http_https) {
        dp_err_set(err, "cannot make the HTTPS server");
        return -1;
    }
    evhttp_set_bevcb(d->http_https, make_bev, d->ssl);
    if (!evhttp_bind_socket_with_handle(d->http_https, d->cfg.https_host,
                                        (ev_uint16_t)d->cfg.https_port)) {
        dp_err_errno(err,
                     "cannot listen for HTTPS on %s:%d; is the port taken? change listen in "
                     "the [https] section (or set it to off)",
                     d->cfg.https_host, d->cfg.https_port);
        return -1;
    }
    return 0;
}
