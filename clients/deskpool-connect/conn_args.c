/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-connect's command line (pure; see connect.h). */
#include "connect.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void conn_usage(FILE *f)
{
    fputs(
        "usage: deskpool-connect [options] [POOL] [-- XFREERDP-OPTIONS...]\n"
        "       deskpool-connect --list [options]\n"
        "       deskpool-connect --reset|--restart [--yes] [options] [POOL|DESKTOP-ID]\n"
        "\n"
        "Logs in to the deskpool broker over HTTPS and connects you to your desktop: gets a\n"
        "one-time routing token and runs xfreerdp through the gateway with it (or writes a .rdp\n"
        "file). --list shows your desktops; --reset gives you a fresh copy of yours (a personal\n"
        "desktop's files go: you are asked first), --restart restarts it.\n"
        "\n"
        "  --broker URL          https://HOST[:PORT] of the broker (default port 8443); "
        "remembered\n"
        "  --user NAME           your user name (default: the remembered one, else $USER)\n"
        "  --password-env VAR    take the password from environment variable VAR\n"
        "  --password-file F     take the password from the first line of F\n"
        "                        (otherwise it is asked on the terminal, without echo)\n"
        "  --list                list your desktops (pool, VM, state) and exit\n"
        "  --reset, --restart    reset (re-clone) or restart your desktop in POOL\n"
        "  --yes                 do not ask before resetting a personal desktop\n"
        "  --rdp-file PATH       write a .rdp file (mstsc, Remmina, xfreerdp) instead of running\n"
        "                        xfreerdp; its token works once, within a minute\n"
        "  --client PATH         the RDP client to run (default xfreerdp from $PATH)\n"
        "  --wait SECONDS        how long a starting desktop may take (default 180)\n"
        "  --timeout SECONDS     per request to the broker (default 30)\n"
        "  --ca FILE             trust the broker's certificate only if this CA signed it\n"
        "  --fingerprint SHA256  trust the broker's certificate only if it has this SHA-256\n"
        "                        fingerprint (openssl x509 -noout -fingerprint -sha256)\n"
        "  --insecure            do not check the broker's certificate at all (tests only)\n"
        "  --config PATH         config file (default ~/.config/deskpool/connect.conf)\n"
        "  --no-save             do not remember the broker, fingerprint or user\n"
        "  --json                print JSON instead of text\n"
        "  --help                this text\n"
        "\n"
        "The broker's certificate: with --ca it must chain to that CA; otherwise a certificate\n"
        "the system trusts is accepted, and any other is pinned on first use (you are shown its\n"
        "fingerprint and asked) and must stay the same afterwards.\n"
        "\n"
        "Exit status: 0 ok (after launching: xfreerdp's own status), 1 the broker failed the\n"
        "request, 2 bad command line, 3 broker unreachable, 4 login refused, 5 not entitled or\n"
        "not allowed (forbidden, no such pool or desktop), 6 no capacity (pool full or paused),\n"
        "7 RDP client not found, 8 broker certificate not trusted, 9 the desktop did not get\n"
        "ready within --wait, 10 cancelled (you answered no).\n",
        f);
}

enum {
    O_BROKER = 256,
    O_USER,
    O_PW_ENV,
    O_PW_FILE,
    O_LIST,
    O_RESET,
    O_RESTART,
    O_YES,
    O_RDP_FILE,
    O_CLIENT,
    O_WAIT,
    O_TIMEOUT,
    O_CA,
    O_FP,
    O_INSECURE,
    O_CONFIG,
    O_NO_SAVE,
    O_JSON,
    O_HELP,
};

static const struct option long_opts[] = {
    {"broker", required_argument, NULL, O_BROKER},
    {"user", required_argument, NULL, O_USER},
    {"password-env", required_argument, NULL, O_PW_ENV},
    {"password-file", required_argument, NULL, O_PW_FILE},
    {"list", no_argument, NULL, O_LIST},
    {"reset", no_argument, NULL, O_RESET},
    {"restart", no_argument, NULL, O_RESTART},
    {"yes", no_argument, NULL, O_YES},
    {"rdp-file", required_argument, NULL, O_RDP_FILE},
    {"client", required_argument, NULL, O_CLIENT},
    {"wait", required_argument, NULL, O_WAIT},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"ca", required_argument, NULL, O_CA},
    {"fingerprint", required_argument, NULL, O_FP},
    {"insecure", no_argument, NULL, O_INSECURE},
    {"config", required_argument, NULL, O_CONFIG},
    {"no-save", no_argument, NULL, O_NO_SAVE},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static int seconds(const char *opt, const char *v, int max, int *out, char *msg, size_t cap)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < 1 || x > max) {
        snprintf(msg, cap, "%s needs whole seconds from 1 to %d, not \"%s\"", opt, max, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int set_action(struct conn_options *o, enum conn_action a, char *msg, size_t cap)
{
    if (o->action != ACT_CONNECT && o->action != a) {
        snprintf(msg, cap, "give only one of --list, --reset, --restart");
        return -1;
    }
    o->action = a;
    return 0;
}

int conn_args_parse(int argc, char **argv, struct conn_options *o, char *msg, size_t cap)
{
    memset(o, 0, sizeof *o);
    o->wait_s = CONN_DEFAULT_WAIT_S;
    o->timeout_s = CONN_DEFAULT_TIMEOUT_S;
    o->client = "xfreerdp";
    /* Everything after the first "--" is for xfreerdp; getopt sees only what comes before
     * (options may follow POOL there). */
    int dd = 1;
    while (dd < argc && strcmp(argv[dd], "--") != 0)
        dd++;
    o->client_args = dd < argc ? argv + dd + 1 : argv + argc;
    o->nclient_args = dd < argc ? argc - dd - 1 : 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(dd, argv, ":", long_opts, NULL)) != -1) {
        switch (c) {
        case O_BROKER:
            o->broker = optarg;
            break;
        case O_USER:
            if (!*optarg) {
                snprintf(msg, cap, "--user is empty");
                return -1;
            }
            o->user = optarg;
            break;
        case O_PW_ENV:
            o->password_env = optarg;
            break;
        case O_PW_FILE:
            o->password_file = optarg;
            break;
        case O_LIST:
            if (set_action(o, ACT_LIST, msg, cap) != 0)
                return -1;
            break;
        case O_RESET:
            if (set_action(o, ACT_RESET, msg, cap) != 0)
                return -1;
            break;
        case O_RESTART:
            if (set_action(o, ACT_RESTART, msg, cap) != 0)
                return -1;
            break;
        case O_YES:
            o->yes = 1;
            break;
        case O_RDP_FILE:
            o->rdp_file = optarg;
            break;
        case O_CLIENT:
            o->client = optarg;
            break;
        case O_WAIT:
            if (seconds("--wait", optarg, 3600, &o->wait_s, msg, cap) != 0)
                return -1;
            break;
        case O_TIMEOUT:
            if (seconds("--timeout", optarg, 600, &o->timeout_s, msg, cap) != 0)
                return -1;
            break;
        case O_CA:
            o->ca_file = optarg;
            break;
        case O_FP:
            if (fingerprint_normalize(optarg, o->fingerprint) != 0) {
                snprintf(msg, cap,
                         "--fingerprint \"%s\" is not a SHA-256 fingerprint (64 hex digits, "
                         "colons allowed; see: openssl x509 -noout -fingerprint -sha256)",
                         optarg);
                return -1;
            }
            break;
        case O_INSECURE:
            o->insecure = 1;
            break;
        case O_CONFIG:
            o->config = optarg;
            break;
        case O_NO_SAVE:
            o->no_save = 1;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_HELP:
            o->help = 1;
            return 0;
        case ':':
            snprintf(msg, cap, "%s needs a value", argv[optind - 1]);
            return -1;
        default:
            snprintf(msg, cap, "unknown option %s", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < dd)
        o->target = argv[optind++];
    if (optind < dd) {
        snprintf(msg, cap, "unexpected argument \"%s\" (options for xfreerdp go after --)",
                 argv[optind]);
        return -1;
    }
    for (int k = 0; k < o->nclient_args; k++) {
        /* The password goes to xfreerdp on its standard input, never in its argv. */
        if (strncmp(o->client_args[k], "/p:", 3) == 0 ||
            strncmp(o->client_args[k], "/from-stdin", 11) == 0) {
            snprintf(msg, cap,
                     "%s is not allowed after --: deskpool-connect hands xfreerdp the password "
                     "itself, on standard input",
                     o->client_args[k]);
            return -1;
        }
    }
    if (o->nclient_args > 0 && (o->action != ACT_CONNECT || o->rdp_file)) {
        snprintf(msg, cap, "options after -- are for xfreerdp; they need a connection, not %s",
                 o->rdp_file ? "--rdp-file" : "--list/--reset/--restart");
        return -1;
    }
    if (o->password_env && o->password_file) {
        snprintf(msg, cap, "give only one of --password-env and --password-file");
        return -1;
    }
    if (o->insecure && (o->ca_file || o->fingerprint[0])) {
        snprintf(msg, cap, "--insecure checks nothing; it does not go with --ca or --fingerprint");
        return -1;
    }
    if (o->ca_file && o->fingerprint[0]) {
        snprintf(msg, cap, "give only one of --ca and --fingerprint");
        return -1;
    }
    if (o->rdp_file && o->action != ACT_CONNECT) {
        snprintf(msg, cap, "--rdp-file goes with a connection, not --list/--reset/--restart");
        return -1;
    }
    if (o->action == ACT_LIST && o->target) {
        snprintf(msg, cap, "--list takes no POOL (it lists all of yours)");
        return -1;
    }
    return 0;
}
