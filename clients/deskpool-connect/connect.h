/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_H
#define DESKPOOL_CONNECT_H

/*
 * deskpool-connect: the thin-client launcher. Logs in to deskpoold over HTTPS, lists the
 * user's desktops, resets or restarts one, or gets a one-time routing token and runs xfreerdp
 * through the gateway with it (or writes a .rdp file). Everything but main() is the dp_connect
 * library so the pure parts (options, config file, .rdp text, exit codes) are unit-tested.
 */
#include <stdio.h>

/* Exit statuses (documented in --help and README.md); scripts tell failures apart by them. */
enum conn_exit {
    CONN_OK = 0,
    CONN_FAILED = 1,        /* the broker failed or refused the request otherwise (message) */
    CONN_USAGE = 2,         /* bad command line, unreadable password file, no terminal to ask */
    CONN_UNREACHABLE = 3,   /* no usable answer from the broker (DNS, TCP, TLS, timeout) */
    CONN_LOGIN_REFUSED = 4, /* wrong user name or password, account disabled or locked */
    CONN_FORBIDDEN = 5,     /* not entitled, not your desktop, reset not allowed, no such pool */
    CONN_NO_CAPACITY = 6,   /* the pool is full or paused */
    CONN_NO_CLIENT = 7,     /* xfreerdp (or --client) not found or not executable */
    CONN_UNTRUSTED = 8,     /* the broker's certificate is not trusted (or the pin differs) */
    CONN_TIMEOUT = 9,       /* the desktop did not get ready within --wait */
    CONN_CANCELLED = 10,    /* the user said no (certificate, reset confirmation) */
};

/* A one-line name of an exit status for --json ("ok", "login_refused", ...). Pure. */
const char *conn_exit_name(int code);

enum conn_action { ACT_CONNECT, ACT_LIST, ACT_RESET, ACT_RESTART };

#define CONN_DEFAULT_PORT 8443
#define CONN_DEFAULT_WAIT_S 180
#define CONN_DEFAULT_TIMEOUT_S 30
#define CONN_FP_LEN 64 /* SHA-256 as lowercase hex */

/* What the command line says; pointers into argv. Parsing is pure (conn_args.c). */
struct conn_options {
    enum conn_action action;
    const char *target;        /* POOL (or desktop id for --reset/--restart); NULL: default */
    const char *broker;        /* --broker URL */
    const char *user;          /* --user */
    const char *password_env;  /* --password-env VAR */
    const char *password_file; /* --password-file F */
    const char *ca_file;       /* --ca FILE: verify against this CA instead of pinning */
    char fingerprint[CONN_FP_LEN + 1]; /* --fingerprint: pin given up front ("" none) */
    const char *rdp_file;              /* --rdp-file PATH: write it instead of running xfreerdp */
    const char *client;                /* --client PATH (default "xfreerdp") */
    const char *config;                /* --config PATH (default ~/.config/deskpool/connect.conf) */
    char **client_args;                /* after "--": passed to xfreerdp as is */
    int nclient_args;
    int insecure;  /* --insecure: no certificate check at all (tests) */
    int yes;       /* --yes: no confirmation question */
    int json;      /* --json */
    int no_save;   /* --no-save: leave the config file alone */
    int wait_s;    /* --wait S: how long a starting desktop may take */
    int timeout_s; /* --timeout S: per HTTPS request */
    int help;
};

/* Parses argv into o. Returns 0, or -1 with a usage message in msg (exit CONN_USAGE). */
int conn_args_parse(int argc, char **argv, struct conn_options *o, char *msg, size_t cap);
void conn_usage(FILE *f);

/* A broker address: "https://HOST[:PORT][/]" or "HOST[:PORT]" ([V6] in brackets). */
struct broker_addr {
    char host[256];
    unsigned port;
    char canon[300]; /* "https://HOST:PORT", how the config file stores it */
};
/* Parses s into a. Returns 0, or -1 with msg saying what is wrong. Pure. */
int broker_addr_parse(const char *s, struct broker_addr *a, char *msg, size_t cap);

/* What ~/.config/deskpool/connect.conf remembers (conn_config.c). */
struct conn_config {
    char broker[300];                  /* canonical "https://HOST:PORT", "" none */
    char fingerprint[CONN_FP_LEN + 1]; /* pinned SHA-256 of the broker's certificate */
    char user[128];
};
/* Parses the "key = value" text; unknown keys and bad lines are errors naming the line. */
int conn_config_parse(const char *text, struct conn_config *c, char *msg, size_t cap);
/* The file's text for c (with a comment saying what it is). Returns bytes written or -1. */
int conn_config_format(const struct conn_config *c, char *buf, size_t cap);
/* The default path: $XDG_CONFIG_HOME or ~/.config, + /deskpool/connect.conf. */
int conn_config_path(char *buf, size_t cap);
/* Reads path (missing file: empty config, 0). -1 + msg on unreadable or malformed files. */
int conn_config_load(const char *path, struct conn_config *c, char *msg, size_t cap);
/* Writes path atomically with mode 0600, creating its folder (0700). */
int conn_config_save(const char *path, const struct conn_config *c, char *msg, size_t cap);

/*
 * "ab:CD:..." or "SHA256:ABCD..." or 64 hex digits as 64 lowercase hex digits in out.
 * Returns 0 or -1 (not a SHA-256 fingerprint). Pure.
 */
int fingerprint_normalize(const char *in, char out[CONN_FP_LEN + 1]);
/* "AB:CD:..." for people (how openssl x509 -fingerprint shows it). */
void fingerprint_display(const char *hex, char *buf, size_t cap);

#endif
