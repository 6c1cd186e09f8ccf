/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_CTX_H
#define DESKPOOL_CONNECT_CTX_H

/* One run of deskpool-connect: who, which broker, how it is trusted, the session token. */
#include "connect.h"
#include "https.h"

#include <jansson.h>

#define CONN_PASSWORD_MAX 512

struct conn_ctx {
    const struct conn_options *o;
    struct broker_addr broker;
    struct https_trust trust;
    char pin[CONN_FP_LEN + 1]; /* the pin in use: --fingerprint, the config's, or learned now */
    int pin_learned;           /* accepted on first use during this run: save it */
    char user[128];
    char password[CONN_PASSWORD_MAX]; /* kept for xfreerdp's NLA login; wiped at exit */
    char token[512];                  /* the broker session token after login */
    FILE *out, *err;
    int failed_printed; /* conn_fail already reported this run's failure */
};

/*
 * METHOD /api/v1 + path over HTTPS, with the session token once logged in. body is not
 * stolen. On a 2xx answer stores its JSON in *out (NULL for an empty body; out may be NULL)
 * and *status, and returns CONN_OK; anything else is reported (conn_fail) and its exit status
 * returned. An unknown certificate is shown and, on a terminal, the user asked to trust it.
 */
int conn_call(struct conn_ctx *c, const char *method, const char *path, json_t *body, json_t **out,
              int *status);

/* Checks the broker's certificate (asking on a terminal if it is unknown) without sending
 * anything: done before the password is asked for. Returns CONN_OK or a reported failure. */
int conn_trust(struct conn_ctx *c);

/* Reports a failure: "deskpool-connect: MESSAGE" on stderr, and with --json one object
 * {"result", "exit_code", "error"} on stdout. Returns code. */
int conn_fail(struct conn_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints j on stdout as --json promises (indented, in the API's key order). */
void conn_print_json(struct conn_ctx *c, json_t *j);

/* The terminal to ask on: stdin if it is one, else /dev/tty; -1 if none. *opened says the
 * caller must close it. */
int conn_tty(int *opened);
/* Asks question on the terminal; 1 if the answer starts with y/Y (or equals want when want is
 * not NULL), 0 if not, -1 without a terminal. */
int conn_ask(const char *question, const char *want);

/* Fills c->password from --password-env, --password-file or the terminal (conn_login.c). */
int conn_read_password(struct conn_ctx *c);
/* POST /login (c->user, c->password) -> c->token; POST /logout revokes it (best effort). */
int conn_login(struct conn_ctx *c);
void conn_logout(struct conn_ctx *c);

/* The actions (one file each). */
int conn_list(struct conn_ctx *c);
int conn_selfservice(struct conn_ctx *c);
int conn_connect(struct conn_ctx *c);

/* The whole program minus the process (conn_main.c). */
int conn_main(int argc, char **argv);

#endif
