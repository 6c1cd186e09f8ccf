/* SPDX-License-Identifier: Apache-2.0 */
#include "gw_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "err.h"

void gw_config_defaults(struct gw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "0.0.0.0");
    cfg->listen_port = 3389;
    snprintf(cfg->state_dir, sizeof cfg->state_dir, "/var/lib/deskpool-gw");
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
    cfg->broker_timeout_s = 10;
    cfg->handshake_timeout_s = 15;
    cfg->max_connections = 4000;
    cfg->max_vm_logins = 8;
    cfg->max_per_source = 50;
    cfg->idle_timeout_s = 0;
    cfg->desktop_wait_s = 60;
    cfg->relay_buffer_kb = 256;
    snprintf(cfg->metrics_host, sizeof cfg->metrics_host, "127.0.0.1");
    cfg->metrics_port = 9389;
}

int gw_config_parse_hostport(const char *s, char *host, size_t host_cap, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= host_cap)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

struct load_state {
    struct gw_config *cfg;
    struct dp_err *err;
    const char *name;
};

static int set_str(char *dst, size_t cap, const char *value)
{
    size_t n = strlen(value);
    if (n >= cap)
        return -1;
    memcpy(dst, value, n + 1);
    return 0;
}

static int set_int(int *dst, const char *value, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value || v < lo || v > hi)
        return -1;
    *dst = (int)v;
    return 0;
}

static int set_bool(int *dst, const char *value)
{
    if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcmp(value, "1")) {
        *dst = 1;
        return 0;
    }
    if (!strcasecmp(value, "false") || !strcasecmp(value, "no") || !strcmp(value, "0")) {
        *dst = 0;
        return 0;
    }
    return -1;
}

#define KEY(sec, k) (!strcmp(section, sec) && !strcmp(name, k))

/* One key; returns 1 when handled well, 0 with err set otherwise (inih then stops). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    struct gw_config *c = st->cfg;
    int bad = 0;

    if (KEY("gateway", "listen")) {
        bad =
            gw_config_parse_hostport(value, c->listen_host, sizeof c->listen_host, &c->listen_port);
    } else if (KEY("gateway", "state_dir")) {
        bad = set_str(c->state_dir, sizeof c->state_dir, value);
    } else if (KEY("gateway", "certificate")) {
        bad = set_str(c->cert_file, sizeof c->cert_file, value);
    } else if (KEY("gateway", "key")) {
        bad = set_str(c->key_file, sizeof c->key_file, value);
    } else if (KEY("gateway", "log_level")) {
        bad = strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info") &&
              strcmp(value, "debug");
        if (!bad)
            bad = set_str(c->log_level, sizeof c->log_level, value);
    } else if (KEY("gateway", "offer_hybrid_ex")) {
        bad = set_bool(&c->offer_hybrid_ex, value);
    } else if (KEY("broker", "url")) {
        bad = set_str(c->broker_url, sizeof c->broker_url, value);
    } else if (KEY("broker", "ca")) {
        bad = set_str(c->broker_ca, sizeof c->broker_ca, value);
    } else if (KEY("broker", "pin_sha256")) {
        bad = strlen(value) != 64 || strspn(value, "0123456789abcdefABCDEF") != 64;
        if (!bad)
            bad = set_str(c->broker_pin_sha256, sizeof c->broker_pin_sha256, value);
    } else if (KEY("broker", "key_file")) {
        bad = set_str(c->broker_key_file, sizeof c->broker_key_file, value);
    } else if (KEY("broker", "timeout")) {
        bad = set_int(&c->broker_timeout_s, value, 1, 300);
    } else if (KEY("limits", "handshake_timeout")) {
        bad = set_int(&c->handshake_timeout_s, value, 1, 600);
    } else if (KEY("limits", "max_connections")) {
        bad = set_int(&c->max_connections, value, 1, 1000000);
    } else if (KEY("limits", "max_per_source")) {
        bad = set_int(&c->max_per_source, value, 1, 1000000);
    } else if (KEY("limits", "idle_timeout")) {
        bad = set_int(&c->idle_timeout_s, value, 0, 7 * 86400);
    } else if (KEY("limits", "desktop_wait")) {
        bad = set_int(&c->desktop_wait_s, value, 1, 3600);
    } else if (KEY("limits", "max_vm_logins")) {
        bad = set_int(&c->max_vm_logins, value, 0, 100000);
    } else if (KEY("limits", "relay_buffer_kb")) {
        bad = set_int(&c->relay_buffer_kb, value, 128, 65536);
    } else if (KEY("metrics", "listen")) {
        if (value[0] == '\0') {
            c->metrics_port = 0;
        } else {
            bad = gw_config_parse_hostport(value, c->metrics_host, sizeof c->metrics_host,
                                           &c->metrics_port);
        }
    } else {
        dp_err_set(st->err,
                   "%s: unknown key \"%s\" in section [%s]; see docs/GATEWAY.md for the keys",
                   st->name, name, section);
        return 0;
    }
    if (bad) {
        dp_err_set(st->err, "%s: [%s] %s = \"%s\" is not valid; see docs/GATEWAY.md", st->name,
                   section, name, value);
        return 0;
    }
    return 1;
}

static int finish(int rc, struct load_state *st)
{
    if (rc == 0)
        return 0;
    if (rc == -1)
        dp_err_errno(st->err, "cannot open config %s", st->name);
    else if (rc == -2)
        dp_err_set(st->err, "out of memory reading config %s", st->name);
    else
        dp_err_set(st->err, "%s line %d: not a valid INI line (section, key = value, comment)",
                   st->name, rc);
    return -1;
}

int gw_config_load(struct gw_config *cfg, const char *path, struct dp_err *err)
{
    struct load_state st = {cfg, err, path};
    return finish(ini_parse(path, on_key, &st), &st);
}

int gw_config_load_string(struct gw_config *cfg, const char *text, const char *name,
                          struct dp_err *err)
{
    struct load_state st = {cfg, err, name};
    return finish(ini_parse_string(text, on_key, &st), &st);
}

int gw_config_check(const struct gw_config *cfg, struct dp_err *err)
{
    if (cfg->broker_url[0] == '\0') {
        dp_err_set(err, "[broker] url is not set; set it to the broker's HTTPS address, "
                        "e.g. url = https://127.0.0.1:8443");
        return -1;
    }
    if (strncmp(cfg->broker_url, "https://", 8) && strncmp(cfg->broker_url, "http://", 7)) {
        dp_err_set(err, "[broker] url \"%s\" must start with https:// (or http:// on loopback)",
                   cfg->broker_url);
        return -1;
    }
    if (cfg->broker_key_file[0] == '\0') {
        dp_err_set(err, "[broker] key_file is not set; point it at the gateway key file "
                        "(the same one the broker's gateway_key_file names)");
        return -1;
    }
    if (cfg->max_per_source > cfg->max_connections) {
        dp_err_set(err, "[limits] max_per_source (%d) is above max_connections (%d)",
                   cfg->max_per_source, cfg->max_connections);
        return -1;
    }
    return 0;
}
