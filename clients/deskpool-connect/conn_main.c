/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-connect: options, the remembered broker, login, the action, saving what was
 * learned. */
#include "conn_ctx.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Who logs in: --user, the remembered user, $USER. */
static int pick_user(struct conn_ctx *c, const struct conn_config *cfg)
{
    const char *u = c->o->user ? c->o->user : cfg->user[0] ? cfg->user : getenv("USER");
    if (!u || !*u)
        return conn_fail(c, CONN_USAGE, "who are you? give --user NAME");
    if (strlen(u) >= sizeof c->user || strpbrk(u, "\r\n"))
        return conn_fail(c, CONN_USAGE, "--user: the name is too long or holds a line break");
    snprintf(c->user, sizeof c->user, "%s", u);
    return CONN_OK;
}

/* The broker and how it is trusted: --broker or the remembered one; the pin only applies to
 * the broker it was learned for. */
static int pick_broker(struct conn_ctx *c, const struct conn_config *cfg)
{
    const struct conn_options *o = c->o;
    char msg[400];
    const char *b = o->broker ? o->broker : cfg->broker[0] ? cfg->broker : NULL;
    if (!b)
        return conn_fail(c, CONN_USAGE,
                         "which broker? give --broker https://HOST[:PORT] once; it is remembered");
    if (broker_addr_parse(b, &c->broker, msg, sizeof msg) != 0)
        return conn_fail(c, CONN_USAGE, "%s", msg);
    c->trust.insecure = o->insecure;
    c->trust.ca_file = o->ca_file;
    if (o->fingerprint[0])
        memcpy(c->pin, o->fingerprint, sizeof c->pin);
    else if (!o->ca_file && cfg->fingerprint[0] && strcmp(cfg->broker, c->broker.canon) == 0)
        memcpy(c->pin, cfg->fingerprint, sizeof c->pin);
    c->trust.pin = c->pin[0] ? c->pin : NULL;
    return CONN_OK;
}

static void remember(struct conn_ctx *c, const char *path, const struct conn_config *old)
{
    struct conn_config cfg = *old;
    char msg[600];
    int same_broker = strcmp(cfg.broker, c->broker.canon) == 0;
    snprintf(cfg.broker, sizeof cfg.broker, "%s", c->broker.canon);
    snprintf(cfg.user, sizeof cfg.user, "%s", c->user);
    if (c->pin[0] && !c->o->insecure)
        memcpy(cfg.fingerprint, c->pin, sizeof cfg.fingerprint);
    else if (!same_broker || c->o->ca_file)
        cfg.fingerprint[0] = '\0'; /* a pin of another broker, or --ca now rules */
    if (memcmp(&cfg, old, sizeof cfg) == 0)
        return;
    if (conn_config_save(path, &cfg, msg, sizeof msg) != 0)
        fprintf(c->err, "deskpool-connect: warning: %s\n", msg);
}

int conn_main(int argc, char **argv)
{
    struct conn_options o;
    struct conn_ctx c;
    struct conn_config cfg;
    char msg[600], path[4096];
    memset(&c, 0, sizeof c);
    c.out = stdout;
    c.err = stderr;
    if (conn_args_parse(argc, argv, &o, msg, sizeof msg) != 0) {
        fprintf(stderr, "deskpool-connect: %s (see deskpool-connect --help)\n", msg);
        return CONN_USAGE;
    }
    c.o = &o;
    if (o.help) {
        conn_usage(stdout);
        return CONN_OK;
    }
    if (o.config)
        snprintf(path, sizeof path, "%s", o.config);
    else if (conn_config_path(path, sizeof path) != 0)
        return conn_fail(&c, CONN_USAGE, "no $HOME to keep the config file in; give --config");
    if (conn_config_load(path, &cfg, msg, sizeof msg) != 0)
        return conn_fail(&c, CONN_USAGE, "%s", msg);
    int rc = pick_broker(&c, &cfg);
    if (rc == CONN_OK)
        rc = pick_user(&c, &cfg);
    if (rc == CONN_OK) /* first the broker, then the password: never typed for an impostor */
        rc = conn_trust(&c);
    if (rc == CONN_OK)
        rc = conn_read_password(&c);
    if (rc == CONN_OK)
        rc = conn_login(&c);
    if (rc == CONN_OK && !o.no_save)
        remember(&c, path, &cfg); /* logged in: this broker and user are worth remembering */
    if (rc == CONN_OK) {
        switch (o.action) {
        case ACT_LIST:
            rc = conn_list(&c);
            break;
        case ACT_RESET:
        case ACT_RESTART:
            rc = conn_selfservice(&c);
            break;
        case ACT_CONNECT:
            rc = conn_connect(&c);
            break;
        }
    }
    conn_logout(&c);
    explicit_bzero(c.password, sizeof c.password);
    return rc;
}
