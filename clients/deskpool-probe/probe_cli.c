/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define PROBE_DEFAULT_PORT 3389
#define PROBE_DEFAULT_TIMEOUT_MS 20000u

void probe_cli_usage(FILE *out)
{
    fputs("usage: deskpool-probe [options] HOST[:PORT]\n"
          "       deskpool-probe --users A,B,... | --users-file F [--concurrency N] [options]\n"
          "                      HOST[:PORT]\n"
          "\n"
          "Headless RDP client for tests, benchmarks and health checks: logs in with NLA,\n"
          "waits for the first desktop frame, optionally saves it as PNG, reports timings,\n"
          "and disconnects.\n"
          "\n"
          "  --user U              user name\n"
          "  --domain D            domain (default: none)\n"
          "  --password-file F     read the password from the first line of F (preferred)\n"
          "  --password-env VAR    read the password from environment variable VAR\n"
          "  --password P          password on the command line: VISIBLE to other users in ps;\n"
          "                        for throw-away test accounts only\n"
          "  --sec nla|tls|any     security protocol to request (default nla)\n"
          "  --load-balance-info S send S as the routing token in the X.224 request\n"
          "  --timeout SEC         give up after SEC seconds in total (default 20)\n"
          "  --settle-ms MS        after a frame, wait until nothing was drawn for MS ms\n"
          "                        (default 0; 300 with --type-text)\n"
          "  --size WxH            desktop size to request (default 1024x768)\n"
          "  --type-text TEXT      after the first frame, type TEXT (unicode key events if the\n"
          "                        server supports them, else US-layout scancodes) and wait for\n"
          "                        the next frame before taking the picture\n"
          "  --png OUT.png         save the final framebuffer as PNG\n"
          "  --hold SEC            then stay connected SEC seconds (SIGTERM ends it early, as\n"
          "                        ok); fails if the session drops or draws nothing for 30 s\n"
          "  --logoff              end by logging off as a user would (type \"logoff\" + Enter)\n"
          "                        and succeed only if the server ends the session with the\n"
          "                        logoff error info (ERRINFO_LOGOFF_BY_USER), within --timeout\n"
          "  --json                print one JSON object instead of a human line\n"
          "  --verbose             show FreeRDP's own log (WLOG_LEVEL, default INFO)\n"
          "\n"
          "Load mode (a logon storm): log many users in at once and report time-to-first-\n"
          "frame percentiles (p50/p95/p99, min/max) and failures by exit class:\n"
          "  --users A,B,...       these users, one password for all (--password-file/-env)\n"
          "  --users-file F        \"user:password\" lines (mode 0600; # comments)\n"
          "  --concurrency N       at most N logins at once (default: all, at most 64)\n"
          "  (--png is for one login; the other options apply to every login)\n"
          "  --help                this text\n"
          "\n"
          "The server certificate is NOT verified and nothing is pinned or stored (like\n"
          "xfreerdp /cert:ignore): use the probe on networks you trust, not as a security check.\n"
          "\n"
          "Exit codes:\n"
          "  0  ok: logged in and got a frame\n"
          "  2  usage error (bad option, unreadable password file, unset variable)\n"
          "  3  refused or unreachable: TCP refused/unreachable, DNS failure, the server refused\n"
          "     the security protocol (e.g. it requires NLA and --sec tls was given), or it\n"
          "     accepted TCP but never answered the RDP negotiation before the timeout\n"
          "  4  authentication failed (NLA logon failure; FreeRDP servers just drop the\n"
          "     connection after a wrong password, which is reported as this too)\n"
          "  5  connected but no desktop frame before the timeout (also: no frame after\n"
          "     --type-text, a timeout after negotiation, or with --logoff a session still\n"
          "     open --timeout seconds after typing logoff)\n"
          "  6  any other error (with --logoff: the server ended the session without the\n"
          "     logoff error info)\n"
          "Load mode: 0 if every login got a frame, else the code of the most frequent\n"
          "failure (3-6; a tie goes to the lower code).\n",
          out);
}

int probe_parse_target(const char *arg, char *host, size_t host_size, unsigned *port,
                       struct dp_err *err)
{
    const char *host_start = arg;
    size_t host_len;
    const char *port_str = NULL;

    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || close == arg + 1) {
            dp_err_set(err, "target \"%s\": unterminated or empty [IPv6] address", arg);
            return -1;
        }
        host_start = arg + 1;
        host_len = (size_t)(close - host_start);
        if (close[1] == ':')
            port_str = close + 2;
        else if (close[1] != '\0') {
            dp_err_set(err, "target \"%s\": expected :PORT after ]", arg);
            return -1;
        }
    } else {
        const char *colon = strchr(arg, ':');
        if (colon && strchr(colon + 1, ':')) {
            dp_err_set(err, "target \"%s\": write IPv6 addresses as [ADDR]:PORT", arg);
            return -1;
        }
        host_len = colon ? (size_t)(colon - arg) : strlen(arg);
        if (colon)
            port_str = colon + 1;
    }
    if (host_len == 0) {
        dp_err_set(err, "target \"%s\": no host name", arg);
        return -1;
    }
    if (host_len >= host_size) {
        dp_err_set(err, "target \"%s\": host name longer than %zu bytes", arg, host_size - 1);
        return -1;
    }
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';

    *port = PROBE_DEFAULT_PORT;
    if (port_str) {
        char *end;
        errno = 0;
        unsigned long p = strtoul(port_str, &end, 10);
        if (*port_str == '\0' || *end != '\0' || errno || p == 0 || p > 65535) {
            dp_err_set(err, "target \"%s\": port must be a number from 1 to 65535", arg);
            return -1;
        }
        *port = (unsigned)p;
    }
    return 0;
}

static int parse_uint(const char *opt, const char *val, unsigned long max, unsigned long *out,
                      struct dp_err *err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(val, &end, 10);
    if (*val == '\0' || *val == '-' || *end != '\0' || errno || v > max) {
        dp_err_set(err, "%s \"%s\": expected a whole number from 0 to %lu", opt, val, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_size(const char *val, unsigned *w, unsigned *h, struct dp_err *err)
{
    char *end;
    unsigned long x, y;
    errno = 0;
    x = strtoul(val, &end, 10);
    if (*end != 'x' || errno)
        goto bad;
    y = strtoul(end + 1, &end, 10);
    if (*end != '\0' || errno)
        goto bad;
    if (x < 200 || y < 200 || x > 8192 || y > 8192)
        goto bad;
    *w = (unsigned)x;
    *h = (unsigned)y;
    return 0;
bad:
    dp_err_set(err, "--size \"%s\": expected WIDTHxHEIGHT, each from 200 to 8192", val);
    return -1;
}

/* The load mode's rules: who logs in, with which passwords, what only one login can do. */
static int check_load(const struct probe_options *opts, int sources, struct dp_err *err)
{
    if (opts->users && opts->users_file) {
        dp_err_set(err, "give only one of --users and --users-file");
        return -1;
    }
    if (opts->user) {
        dp_err_set(err, "--user is for one login; with --users or --users-file leave it out");
        return -1;
    }
    if (opts->png_path) {
        dp_err_set(err, "--png saves one login's picture; it does not go with --users");
        return -1;
    }
    if (opts->users_file && sources > 0) {
        dp_err_set(err, "--users-file holds the passwords (user:password lines); drop "
                        "--password-file/--password-env/--password");
        return -1;
    }
    if (opts->users && sources != 1) {
        dp_err_set(err, sources ? "give only one of --password-file, --password-env, --password"
                                : "no password for --users: give --password-file FILE or "
                                  "--password-env VAR (the same for all), or use --users-file");
        return -1;
    }
    if (opts->users && opts->users[0] == '\0') {
        dp_err_set(err, "--users is empty; give user names separated by commas");
        return -1;
    }
    return 0;
}

enum {
    OPT_USER = 256,
    OPT_PASSWORD,
    OPT_PASSWORD_FILE,
    OPT_PASSWORD_ENV,
    OPT_DOMAIN,
    OPT_TIMEOUT,
    OPT_SETTLE,
    OPT_SIZE,
    OPT_PNG,
    OPT_JSON,
    OPT_SEC,
    OPT_LBI,
    OPT_TYPE,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_USERS,
    OPT_USERS_FILE,
    OPT_CONCURRENCY,
    OPT_HOLD,
    OPT_LOGOFF,
};

static const struct option long_opts[] = {
    {"user", required_argument, NULL, OPT_USER},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"password-env", required_argument, NULL, OPT_PASSWORD_ENV},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"settle-ms", required_argument, NULL, OPT_SETTLE},
    {"size", required_argument, NULL, OPT_SIZE},
    {"png", required_argument, NULL, OPT_PNG},
    {"json", no_argument, NULL, OPT_JSON},
    {"sec", required_argument, NULL, OPT_SEC},
    {"load-balance-info", required_argument, NULL, OPT_LBI},
    {"type-text", required_argument, NULL, OPT_TYPE},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"users", required_argument, NULL, OPT_USERS},
    {"users-file", required_argument, NULL, OPT_USERS_FILE},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"hold", required_argument, NULL, OPT_HOLD},
    {"logoff", no_argument, NULL, OPT_LOGOFF},
    {NULL, 0, NULL, 0},
};

int probe_cli_parse(int argc, char **argv, struct probe_options *opts, struct dp_err *err)
{
    unsigned long v;
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->timeout_ms = PROBE_DEFAULT_TIMEOUT_MS;
    opts->settle_ms = -1;
    opts->width = 1024;
    opts->height = 768;
    opts->sec = PROBE_SEC_NLA;

    /* optind = 0 makes glibc re-initialise getopt, so the parser can run more than once
     * (unit tests); opterr = 0 because errors are reported through err, with advice. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_USER:
            opts->user = optarg;
            break;
        case OPT_PASSWORD:
            opts->password_arg = optarg;
            break;
        case OPT_PASSWORD_FILE:
            opts->password_file = optarg;
            break;
        case OPT_PASSWORD_ENV:
            opts->password_env = optarg;
            break;
        case OPT_DOMAIN:
            opts->domain = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_uint("--timeout", optarg, 3600, &v, err) < 0)
                return -1;
            if (v == 0) {
                dp_err_set(err, "--timeout 0: give at least 1 second");
                return -1;
            }
            opts->timeout_ms = (unsigned)v * 1000u;
            break;
        case OPT_SETTLE:
            if (parse_uint("--settle-ms", optarg, 600000, &v, err) < 0)
                return -1;
            opts->settle_ms = (int)v;
            break;
        case OPT_SIZE:
            if (parse_size(optarg, &opts->width, &opts->height, err) < 0)
                return -1;
            break;
        case OPT_PNG:
            opts->png_path = optarg;
            break;
        case OPT_HOLD:
            if (parse_uint("--hold", optarg, 86400, &v, err) < 0)
                return -1;
            opts->hold_s = (unsigned)v;
            break;
        case OPT_LOGOFF:
            opts->logoff = 1;
            break;
        case OPT_JSON:
            opts->json = 1;
            break;
        case OPT_SEC:
            if (strcmp(optarg, "nla") == 0)
                opts->sec = PROBE_SEC_NLA;
            else if (strcmp(optarg, "tls") == 0)
                opts->sec = PROBE_SEC_TLS;
            else if (strcmp(optarg, "any") == 0)
                opts->sec = PROBE_SEC_ANY;
            else {
                dp_err_set(err, "--sec \"%s\": expected nla, tls or any", optarg);
                return -1;
            }
            break;
        case OPT_LBI:
            opts->load_balance_info = optarg;
            break;
        case OPT_TYPE:
            if (optarg[0] == '\0') {
                dp_err_set(err, "--type-text: the text is empty; give at least one character");
                return -1;
            }
            opts->type_text = optarg;
            break;
        case OPT_VERBOSE:
            opts->verbose = 1;
            break;
        case OPT_HELP:
            opts->help = 1;
            return 0;
        case OPT_USERS:
            opts->users = optarg;
            break;
        case OPT_USERS_FILE:
            opts->users_file = optarg;
            break;
        case OPT_CONCURRENCY:
            if (parse_uint("--concurrency", optarg, PROBE_MAX_CONCURRENCY, &v, err) < 0)
                return -1;
            if (v == 0) {
                dp_err_set(err, "--concurrency 0: give at least 1");
                return -1;
            }
            opts->concurrency = (unsigned)v;
            break;
        case ':':
            dp_err_set(err, "%s needs a value; see --help", argv[optind - 1]);
            return -1;
        default:
            dp_err_set(err, "unknown option \"%s\"; see --help", argv[optind - 1]);
            return -1;
        }
    }

    if (optind != argc - 1) {
        dp_err_set(err, optind == argc ? "no HOST[:PORT] given; see --help"
                                       : "more than one HOST[:PORT] given; see --help");
        return -1;
    }
    if (probe_parse_target(argv[optind], opts->host, sizeof(opts->host), &opts->port, err) < 0)
        return -1;

    int sources = !!opts->password_arg + !!opts->password_file + !!opts->password_env;
    if (PROBE_LOAD_MODE(opts))
        return check_load(opts, sources, err);
    if (opts->concurrency) {
        dp_err_set(err, "--concurrency is for the load mode: give --users or --users-file too");
        return -1;
    }
    if (sources > 1) {
        dp_err_set(err, "give only one of --password-file, --password-env, --password");
        return -1;
    }
    if (!opts->user || opts->user[0] == '\0') {
        dp_err_set(err, "--user is required (NLA needs a user name; --users for many)");
        return -1;
    }
    if (sources == 0) {
        dp_err_set(err, "no password: give --password-file FILE or --password-env VAR");
        return -1;
    }
    return 0;
}
