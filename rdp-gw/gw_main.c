/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-gw: the RDP gateway. Reads its config, makes sure it has a TLS identity, listens
 * on the RDP port and runs one libevent loop for every connection (front.c, backend.c,
 * relay.c) and for the metrics endpoint.
 *   deskpool-gw --config FILE [--foreground] [--check-config]
 */
#include "gw.h"

#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <winpr/wlog.h>

#include "broker_client.h"
#include "err.h"
#include "files.h"
#include "gw_limits.h"
#include "log.h"
#include "session_journal.h"

#define DEFAULT_CONFIG "/etc/deskpool/gateway.ini"

static void usage(FILE *f)
{
    fprintf(f, "usage: deskpool-gw [--config FILE] [--foreground] [--check-config]\n"
               "  --config FILE    INI configuration (default " DEFAULT_CONFIG ")\n"
               "  --foreground     stay attached, log to stderr (default: daemon, syslog)\n"
               "  --check-config   load the config, certificate and gateway key, then exit\n");
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    struct gw_conn *c = gw_conn_new(arg, fd, sa, salen);
    if (c)
        gw_front_start(c);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    /* EMFILE and friends: keep serving the connections we have; the listener retries. */
    log_error("accept failed: %s (raise the open-file limit or lower [limits] max_connections)",
              evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* Every session was closed and reported; leave once the broker answered (or could not). */
static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *ctx = arg;
    static int ticks;
    int left = gw_sessions_in_flight(ctx->sessions);
    int calls = gw_broker_in_flight(ctx->broker);
    if (calls == 0 || ++ticks > 10 * (ctx->cfg->broker_timeout_s + 1)) {
        if (left)
            log_warn("%d session end(s) not acknowledged by the broker; the next start on "
                     "this address reports them again",
                     left);
        event_base_loopbreak(ctx->base);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct gw_ctx *ctx = arg;
    if (ctx->stopping) {
        log_info("signal %d again: stopping now", (int)sig);
        event_base_loopbreak(ctx->base);
        return;
    }
    ctx->stopping = 1;
    log_info("signal %d: stopping (open connections are closed, their sessions reported "
             "disconnected)",
             (int)sig);
    evconnlistener_disable(ctx->listener);
    while (ctx->conns)
        gw_conn_close(ctx->conns, "gateway stopping");
    /* The reports are HTTP calls on this loop: keep it running until they are answered. */
    struct timeval tick = {0, 100 * 1000};
    ctx->drain = event_new(ctx->base, -1, EV_PERSIST, on_drain, ctx);
    if (!ctx->drain || event_add(ctx->drain, &tick) < 0)
        event_base_loopbreak(ctx->base);
}

/*
 * After a wave of connections is gone (a logon storm, a scan, a thousand half-open
 * clients reaped by the handshake deadline) glibc keeps their freed memory in the heap,
 * so the gateway's RSS would stay at its peak. Every 2 s, if at least 64 connections closed
 * since the last look, hand whole free pages back.
 */
static void on_trim(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *ctx = arg;
    uint64_t now = ctx->metrics.connections_active;
    if (ctx->conns_peak >= now + 64)
        malloc_trim(0);
    ctx->conns_peak = now;
}

/* The previous gateway's sessions are reported ended: now clients may come. */
static void on_recovered(struct gw_ctx *ctx)
{
    const struct gw_config *cfg = ctx->cfg;
    if (ctx->stopping)
        return;
    evconnlistener_enable(ctx->listener);
    log_info("listening on %s:%d (broker %s, metrics %s%s%d)", cfg->listen_host, cfg->listen_port,
             cfg->broker_url, cfg->metrics_port ? cfg->metrics_host : "off",
             cfg->metrics_port ? ":" : "", cfg->metrics_port);
}

/* A relayed connection holds two descriptors: make room for max_connections of them (the
 * soft limit is often 1024, which would cap the gateway near 500 sessions with EMFILE). */
static void raise_fd_limit(const struct gw_config *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->max_connections * 2 + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rlim_t cur = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
        log_warn("open-file limit %llu (hard %llu) is below the %llu that [limits] "
                 "max_connections = %d needs; raise it (ulimit -n, LimitNOFILE=) or lower "
                 "max_connections",
                 (unsigned long long)(rl.rlim_cur > cur ? rl.rlim_cur : cur),
                 (unsigned long long)rl.rlim_max, (unsigned long long)want, cfg->max_connections);
}

/* Certificate paths default to the state folder; generated there on first start. */
static int prepare_tls(struct gw_config *cfg, int create, int *pending, struct dp_err *err)
{
    int defaults = !cfg->cert_file[0] && !cfg->key_file[0];
    if (!cfg->cert_file[0])
        snprintf(cfg->cert_file, sizeof cfg->cert_file, "%s/tls.crt", cfg->state_dir);
    if (!cfg->key_file[0])
        snprintf(cfg->key_file, sizeof cfg->key_file, "%s/tls.key", cfg->state_dir);
    if (!create) {
        /* --check-config before the first start: the pair does not exist yet. */
        *pending = defaults && !(dp_path_exists(cfg->cert_file) && dp_path_exists(cfg->key_file));
        return 0;
    }
    if (dp_mkdirs(cfg->state_dir, 0700, err) < 0)
        return -1;
    int made = gw_tls_ensure_cert(cfg->cert_file, cfg->key_file, "deskpool-gw", err);
    if (made < 0)
        return -1;
    if (made)
        log_info("generated a self-signed certificate %s (replace it with one your clients "
                 "trust: [gateway] certificate/key)",
                 cfg->cert_file);
    return 0;
}

static void quiet_winpr(const struct gw_config *cfg)
{
    /* WinPR logs NTLM failures (wrong passwords) at error level on stdout; the gateway
     * reports them itself. Its own diagnostics stay reachable with log_level = debug. */
    wLog *root = WLog_GetRoot();
    WLog_SetLogAppenderType(root, WLOG_APPENDER_CONSOLE);
    wLogAppender *app = WLog_GetLogAppender(root);
    if (app)
        WLog_ConfigureAppender(app, "outputstream", (void *)"stderr");
    WLog_SetLogLevel(root, strcmp(cfg->log_level, "debug") ? WLOG_OFF : WLOG_DEBUG);
}

int main(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG;
    int foreground = 0, check = 0;
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"foreground", no_argument, NULL, 'f'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "c:fkh", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            config = optarg;
            break;
        case 'f':
            foreground = 1;
            break;
        case 'k':
            check = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    static struct gw_config cfg;
    struct dp_err err = {0};
    gw_config_defaults(&cfg);
    enum dp_log_level level = DP_LOG_INFO;
    if (gw_config_load(&cfg, config, &err) < 0 || gw_config_check(&cfg, &err) < 0) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    dp_log_level_parse(cfg.log_level, &level);
    dp_log_init("deskpool-gw", level, !foreground && !check);
    quiet_winpr(&cfg);
    signal(SIGPIPE, SIG_IGN);

    static struct gw_ctx ctx;
    ctx.cfg = &cfg;
    int cert_pending = 0;
    if (prepare_tls(&cfg, !check, &cert_pending, &err) < 0) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    if (cert_pending)
        printf("no certificate yet: %s and %s will be generated on first start\n", cfg.cert_file,
               cfg.key_file);
    else if (!(ctx.front_ssl =
                   gw_tls_server_ctx(cfg.cert_file, cfg.key_file, &ctx.front_pub, &err)) ||
             !(ctx.back_ssl = gw_tls_backend_ctx(&err))) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    ctx.base = event_base_new();
    ctx.dns = ctx.base ? evdns_base_new(ctx.base, EVDNS_BASE_INITIALIZE_NAMESERVERS) : NULL;
    if (!ctx.dns && ctx.base) /* no resolv.conf: numeric addresses still work */
        ctx.dns = evdns_base_new(ctx.base, 0);
    if (!ctx.base || !ctx.dns) {
        fprintf(stderr, "deskpool-gw: cannot create the event loop\n");
        return 1;
    }
    ctx.broker = gw_broker_new(ctx.base, ctx.dns, &cfg, &err);
    if (!ctx.broker) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    if (check) {
        printf("config %s is valid (listen %s:%d, broker %s)\n", config, cfg.listen_host,
               cfg.listen_port, cfg.broker_url);
        return 0;
    }
    raise_fd_limit(&cfg);
    ctx.limits = gw_limits_new(cfg.max_connections, cfg.max_per_source);
    struct gw_journal *journal =
        gw_journal_open(cfg.state_dir, cfg.listen_host, cfg.listen_port, &err);
    if (!journal) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    ctx.sessions = gw_sessions_new(&ctx, journal);
    if (!ctx.limits || !ctx.sessions) {
        fprintf(stderr, "deskpool-gw: out of memory\n");
        return 1;
    }

    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST};
    struct evutil_addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg.listen_port);
    if (evutil_getaddrinfo(cfg.listen_host, port, &hints, &ai) != 0 || !ai) {
        fprintf(stderr, "deskpool-gw: [gateway] listen host \"%s\" is not a numeric address\n",
                cfg.listen_host);
        return 1;
    }
    ctx.listener = evconnlistener_new_bind(ctx.base, on_accept, &ctx,
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512,
                                           ai->ai_addr, (int)ai->ai_addrlen);
    evutil_freeaddrinfo(ai);
    if (!ctx.listener) {
        dp_err_errno(&err,
                     "cannot listen on %s:%d ([gateway] listen; port in use or needs "
                     "privileges)",
                     cfg.listen_host, cfg.listen_port);
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    evconnlistener_set_error_cb(ctx.listener, on_accept_error);
    evconnlistener_disable(ctx.listener); /* until on_recovered */
    if (gw_metrics_http_start(&ctx, &err) < 0) {
        fprintf(stderr, "deskpool-gw: %s\n", dp_err_msg(&err));
        return 1;
    }
    if (!foreground && daemon(0, 0) < 0) {
        perror("deskpool-gw: daemon");
        return 1;
    }
    if (!foreground)
        event_reinit(ctx.base);
    struct event *sigterm = evsignal_new(ctx.base, SIGTERM, on_signal, &ctx);
    struct event *sigint = evsignal_new(ctx.base, SIGINT, on_signal, &ctx);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);

    ctx.trim = event_new(ctx.base, -1, EV_PERSIST, on_trim, &ctx);
    struct timeval trim_every = {2, 0};
    if (ctx.trim)
        event_add(ctx.trim, &trim_every);
    gw_sessions_recover(ctx.sessions, on_recovered);
    event_base_dispatch(ctx.base);

    while (ctx.conns)
        gw_conn_close(ctx.conns, "gateway stopping");
    evconnlistener_free(ctx.listener);
    if (ctx.metrics_http)
        evhttp_free(ctx.metrics_http);
    if (ctx.drain)
        event_free(ctx.drain);
    if (ctx.trim)
        event_free(ctx.trim);
    event_free(sigterm);
    event_free(sigint);
    gw_sessions_free(ctx.sessions);
    gw_broker_free(ctx.broker);
    gw_limits_free(ctx.limits);
    evdns_base_free(ctx.dns, 0);
    event_base_free(ctx.base);
    SSL_CTX_free(ctx.front_ssl);
    SSL_CTX_free(ctx.back_ssl);
    gw_pubkey_free(&ctx.front_pub);
    log_info("stopped");
    return 0;
}
