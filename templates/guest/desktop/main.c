/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-desktop: the RDP desktop server of the tiny template's guest. Options and startup. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <winpr/wlog.h>

#include "cert.h"
#include "control.h"
#include "desktop.h"
#include "err.h"
#include "log.h"
#include "sam_check.h"

static struct desktop *the_desktop; /* for the signal handler only */
static int make_cert_only;          /* --make-cert */

static void on_signal(int sig)
{
    (void)sig;
    if (the_desktop)
        the_desktop->stop = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: deskpool-desktop [--port N] [--sam PATH] [--users PATH] [--control PATH]\n"
        "                        [--state DIR]\n"
        "                        [--bind ADDR] [--handshake-timeout SECONDS]\n"
        "                        [--log-level error|warn|info|debug] [--max-update-bytes N]\n"
        "                        [--make-cert]\n"
        "\n"
        "  --port N       TCP port to listen on (default 3389)\n"
        "  --sam PATH     NT hashes, WinPR SAM format user:domain:LM:NT::: (default\n"
        "                 /var/lib/deskpool/sam); re-read on every login\n"
        "  --users PATH   who is logged on, one line per session:\n"
        "                 USER<TAB>DOMAIN<TAB>LOGIN_EPOCH<TAB>SESSION_ID<TAB>active|disconnected\n"
        "                 (default /run/deskpool/users)\n"
        "  --control PATH unix socket where the guest agent ends sessions\n"
        "                 (deskpool-logoff-user); default: 'control' next to --users\n"
        "  --state DIR    holds tls.crt and tls.key; made self-signed when missing\n"
        "                 (default /var/lib/deskpool)\n"
        "  --bind ADDR    listen on this address only (default: all)\n"
        "  --handshake-timeout SECONDS  a client must reach its desktop within this\n"
        "                 time after connecting (default 30)\n"
        "  --max-update-bytes N  cap each bitmap update at N bytes even if the client\n"
        "                 allows more (testing aid: mimics a client with a small limit)\n"
        "  --make-cert    create DIR/tls.crt and tls.key if missing, then exit (lets an\n"
        "                 image builder do the RSA key generation instead of each boot)\n");
}

static int set_path(char *dst, size_t n, const char *src, const char *what)
{
    if (snprintf(dst, n, "%s", src) >= (int)n) {
        fprintf(stderr, "deskpool-desktop: %s path too long: %s\n", what, src);
        return -1;
    }
    return 0;
}

static int parse_args(struct desktop *d, int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"sam", required_argument, NULL, 's'},
        {"users", required_argument, NULL, 'u'},
        {"control", required_argument, NULL, 'C'},
        {"state", required_argument, NULL, 'd'},
        {"bind", required_argument, NULL, 'b'},
        {"handshake-timeout", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"max-update-bytes", required_argument, NULL, 'm'},
        {"make-cert", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum dp_log_level level = DP_LOG_INFO;
    d->port = 3389;
    d->handshake_timeout_s = 30;
    set_path(d->sam_path, sizeof d->sam_path, "/var/lib/deskpool/sam", "SAM");
    set_path(d->users_path, sizeof d->users_path, "/run/deskpool/users", "users");
    set_path(d->state_dir, sizeof d->state_dir, "/var/lib/deskpool", "state");

    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        long v;
        switch (c) {
        case 'p':
            v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 65535) {
                fprintf(stderr, "deskpool-desktop: --port wants 1-65535, not \"%s\"\n", optarg);
                return -1;
            }
            d->port = (unsigned)v;
            break;
        case 't':
            v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 3600) {
                fprintf(stderr, "deskpool-desktop: --handshake-timeout wants 1-3600 seconds\n");
                return -1;
            }
            d->handshake_timeout_s = (int)v;
            break;
        case 'm':
            v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1024 || v > 0x7fffffff) {
                fprintf(stderr, "deskpool-desktop: --max-update-bytes wants at least 1024\n");
                return -1;
            }
            d->max_update_bytes = (unsigned)v;
            break;
        case 's':
            if (set_path(d->sam_path, sizeof d->sam_path, optarg, "SAM") != 0)
                return -1;
            break;
        case 'u':
            if (set_path(d->users_path, sizeof d->users_path, optarg, "users") != 0)
                return -1;
            break;
        case 'C':
            if (set_path(d->control_path, sizeof d->control_path, optarg, "control") != 0)
                return -1;
            break;
        case 'd':
            if (set_path(d->state_dir, sizeof d->state_dir, optarg, "state") != 0)
                return -1;
            break;
        case 'b':
            if (set_path(d->bind, sizeof d->bind, optarg, "bind address") != 0)
                return -1;
            break;
        case 'l':
            if (dp_log_level_parse(optarg, &level) != 0) {
                fprintf(stderr, "deskpool-desktop: --log-level wants error|warn|info|debug\n");
                return -1;
            }
            break;
        case 'c':
            make_cert_only = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "deskpool-desktop: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    dp_log_init("deskpool-desktop", level, 0);
    struct dp_err err = {0};
    if (!d->control_path[0] &&
        control_path_beside(d->control_path, sizeof d->control_path, d->users_path, &err) != 0) {
        fprintf(stderr, "deskpool-desktop: %s\n", dp_err_msg(&err));
        return -1;
    }
    return 0;
}

/*
 * FreeRDP's own log goes to stdout by default; send it to stderr with ours, and keep it to
 * errors unless the admin asks for more with WLOG_LEVEL (FreeRDP's own variable).
 */
static void quiet_freerdp_log(void)
{
    wLog *root = WLog_GetRoot();
    if (!root)
        return;
    WLog_SetLogAppenderType(root, WLOG_APPENDER_CONSOLE);
    wLogAppender *app = WLog_GetLogAppender(root);
    if (app)
        WLog_ConfigureAppender(app, "outputstream", (void *)"stderr");
    if (!getenv("WLOG_LEVEL"))
        WLog_SetLogLevel(root, WLOG_ERROR);
}

int main(int argc, char **argv)
{
    static struct desktop d; /* large (paths, slots); static keeps it off the stack */
    if (parse_args(&d, argc, argv) != 0)
        return 2;
    quiet_freerdp_log();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client vanishing mid-write must not kill the server */
    the_desktop = &d;

    if (gethostname(d.hostname, sizeof d.hostname - 1) != 0 || !d.hostname[0])
        snprintf(d.hostname, sizeof d.hostname, "unknown-host");

    struct dp_err err = {0};
    int made =
        cert_ensure(d.state_dir, d.hostname, d.crt_path, d.key_path, sizeof d.crt_path, &err);
    if (made < 0) {
        log_error("TLS certificate: %s", dp_err_msg(&err));
        return 1;
    }
    log_info("TLS certificate %s (%s)", d.crt_path, made ? "new self-signed RSA-2048" : "existing");
    if (make_cert_only)
        return 0;

    int users = sam_check_file(d.sam_path, &err);
    if (users < 0) {
        log_warn("nobody can log in yet: %s (the guest agent writes it on "
                 "guest-set-user-password)",
                 dp_err_msg(&err));
        dp_err_clear(&err);
    } else if (users == 0) {
        log_warn("nobody can log in yet: %s has no usable user:domain:LM:NT::: line", d.sam_path);
    } else {
        log_info("%s lists %d user(s)", d.sam_path, users);
    }

    if (sessions_open(&d.sessions, d.users_path, &err) != 0) {
        log_error("users file: %s", dp_err_msg(&err));
        return 1;
    }

    int rc = desktop_serve(&d);

    /* Every session, connected or not, ends with the server; say so in the users file. */
    dp_err_clear(&err);
    if (sessions_clear(&d.sessions, &err) != 0)
        log_error("users file: %s", dp_err_msg(&err));
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
