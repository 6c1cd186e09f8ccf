/* SPDX-License-Identifier: Apache-2.0 */
/* deskpoold's life: open everything in order, run the loop, close in reverse. */
#include "daemon.h"
#include "api.h"
#include "err.h"
#include "files.h"
#include "gateway_key.h"
#include "hv.h"
#include "workers.h"
#include "listen.h"
#include "log.h"
#include "pool_mgr.h"
#include "store/db.h"
#include "tls.h"

#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bigger bodies than the API takes are still read (up to this), so the answer is our JSON
 * 413 rather than libevent's page; beyond it libevent refuses on its own. */
#define HTTP_READ_MAX (1024 * 1024)

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    struct deskpoold *d = arg;
    log_info("signal %d: stopping (VMs keep running)", (int)sig);
    event_base_loopexit(d->base, NULL);
}

/* SIGHUP: reopen the log file (after logrotate moved it) or reconnect to syslog. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    struct deskpoold *d = arg;
    if (d->cfg.syslog) {
        dp_log_init("deskpoold", d->cfg.log_level, 1);
    } else if (!d->foreground) {
        int fd = open(d->cfg.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        } else {
            log_error("SIGHUP: cannot reopen %s; still logging to the old file", d->cfg.log_file);
        }
    }
    log_info("SIGHUP: logs reopened");
}

static void http_setup(struct evhttp *h, struct deskpoold *d, int timeout_s,
                       void (*cb)(struct evhttp_request *, void *))
{
    evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                      EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
    evhttp_set_max_body_size(h, HTTP_READ_MAX);
    evhttp_set_max_headers_size(h, 16 * 1024);
    evhttp_set_timeout(h, timeout_s);
    evhttp_set_gencb(h, cb, d);
}

static int open_admin_group(struct deskpoold *d, struct dp_err *err)
{
    if (!d->cfg.admin_group[0])
        return 0;
    struct group gr, *grp = NULL;
    char buf[8192];
    if (getgrnam_r(d->cfg.admin_group, &gr, buf, sizeof buf, &grp) != 0 || !grp) {
        dp_err_set(err, "admin_group \"%s\" does not exist; create it (groupadd %s) or fix %s",
                   d->cfg.admin_group, d->cfg.admin_group,
                   d->cfg.path[0] ? d->cfg.path : DESKPOOLD_DEFAULT_CONFIG);
        return -1;
    }
    d->admin_gid = grp->gr_gid;
    d->has_admin_gid = 1;
    return 0;
}

static int start_pool_mgr(struct deskpoold *d, struct dp_err *err)
{
    struct pool_mgr_config pc = {
        .db_path = d->cfg.db,
        .state_dir = d->cfg.state_dir,
        .key_path = d->cfg.secret_key_file,
        .open_hv = hv_qemu_open,
        .tick_ms = d->cfg.pool_tick_ms,
        .workers = d->cfg.pool_workers,
        .ready_timeout_ms = d->cfg.pool_ready_timeout_ms,
        .stop_timeout_ms = d->cfg.pool_stop_timeout_ms,
        .restraint_failures = d->cfg.pool_restraint_failures,
        .restraint_window_s = d->cfg.pool_restraint_window_s,
        .mem_reserve_mb = d->cfg.memory_reserve_mb,
    };
    d->pm = pool_mgr_start(&pc, err);
    return d->pm ? 0 : -1;
}

int daemon_open(struct deskpoold *d, struct dp_err *err)
{
    struct dp_config *c = &d->cfg;
    d->started = time(NULL);
    tiny_build_locate(&d->tiny, DESKPOOL_SOURCE_DIR, DESKPOOL_BINARY_DIR);
    signal(SIGPIPE, SIG_IGN);
    if (dp_mkdirs(c->state_dir, 0755, err) != 0 || open_admin_group(d, err) != 0 ||
        secretbox_key_load(c->secret_key_file, 1, &d->key, err) != 0 ||
        gateway_key_load(c->gateway_key_file, d->gateway_key, sizeof d->gateway_key, err) != 0)
        goto fail;
    if (db_open(c->db, &d->db, err) != DB_OK)
        goto fail;
    if (!(d->base = event_base_new())) {
        dp_err_set(err, "cannot make the event loop");
        goto fail;
    }
    if (!(d->workers = workers_start(d->base, c->db, c->api_workers, err)))
        goto fail;
    if (start_pool_mgr(d, err) != 0)
        goto fail;
    if (listen_unix(d, err) != 0)
        goto fail;
    /* Admin calls may hold a connection for minutes (a first tiny template build); the
     * connection's timeout must not cut them off. HTTPS callers get a short one. */
    http_setup(d->http_unix, d, 3600, api_router_unix);
    if (c->https_enabled) {
        if (https_cert_ensure(c->tls_cert, c->tls_key, err) != 0 ||
            !(d->ssl = https_ssl_ctx(c->tls_cert, c->tls_key, err)) || listen_https(d, err) != 0)
            goto fail;
        http_setup(d->http_https, d, 60, api_router_https);
    }
    int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        d->signals[i] = evsignal_new(d->base, sigs[i], sigs[i] == SIGHUP ? on_hup : on_stop, d);
        if (!d->signals[i] || evsignal_add(d->signals[i], NULL) != 0) {
            dp_err_set(err, "cannot watch signal %d", sigs[i]);
            goto fail;
        }
    }
    log_info("deskpoold %s: admin API on %s, HTTPS %s%s%d, state %s", DESKPOOL_VERSION_STRING,
             c->socket, c->https_enabled ? c->https_host : "off", c->https_enabled ? ":" : "",
             c->https_enabled ? c->https_port : 0, c->state_dir);
    return 0;
fail:
    daemon_close(d);
    return -1;
}

void daemon_run(struct deskpoold *d)
{
    event_base_dispatch(d->base);
}

void daemon_close(struct deskpoold *d)
{
    /* Listeners first, so nobody is half served while the rest goes away. */
    if (d->http_unix) {
        evhttp_free(d->http_unix);
        unlink(d->cfg.socket);
    }
    if (d->http_https)
        evhttp_free(d->http_https);
    d->http_unix = d->http_https = NULL;
    workers_stop(d->workers);
    d->workers = NULL;
    if (d->pm)
        pool_mgr_stop(d->pm);
    d->pm = NULL;
    for (int i = 0; i < 3; i++)
        if (d->signals[i])
            event_free(d->signals[i]);
    memset(d->signals, 0, sizeof d->signals);
    if (d->base)
        event_base_free(d->base);
    d->base = NULL;
    SSL_CTX_free(d->ssl);
    d->ssl = NULL;
    db_close(d->db);
    d->db = NULL;
    secretbox_key_wipe(&d->key);
    memset(d->gateway_key, 0, sizeof d->gateway_key);
}
