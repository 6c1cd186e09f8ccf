/* SPDX-License-Identifier: Apache-2.0 */
/* deskpoold's INI configuration (inih): defaults, the parser, derived paths. */
#include "config.h"
#include "err.h"
#include "files.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { K_PATH, K_STR64, K_INT, K_BOOL, K_LEVEL, K_LISTEN, K_ADDR };

struct key {
    const char *section;
    const char *name;
    enum key_type type;
    size_t off;
    int min, max; /* K_INT */
};

#define OFF(f) offsetof(struct dp_config, f)

static const struct key keys[] = {
    {"broker", "state_dir", K_PATH, OFF(state_dir), 0, 0},
    {"broker", "db", K_PATH, OFF(db), 0, 0},
    {"broker", "socket", K_PATH, OFF(socket), 0, 0},
    {"broker", "pidfile", K_PATH, OFF(pidfile), 0, 0},
    {"broker", "admin_group", K_STR64, OFF(admin_group), 0, 0},
    {"broker", "log_level", K_LEVEL, OFF(log_level), 0, 0},
    {"broker", "syslog", K_BOOL, OFF(syslog), 0, 0},
    {"broker", "log_file", K_PATH, OFF(log_file), 0, 0},
    {"broker", "secret_key_file", K_PATH, OFF(secret_key_file), 0, 0},
    {"broker", "api_workers", K_INT, OFF(api_workers), 1, 64},
    {"broker", "session_ttl_s", K_INT, OFF(session_ttl_s), 60, 30 * 86400},
    {"broker", "gateway_address", K_ADDR, OFF(gateway_address), 0, 0},
    {"https", "listen", K_LISTEN, 0, 0, 0},
    {"https", "cert", K_PATH, OFF(tls_cert), 0, 0},
    {"https", "key", K_PATH, OFF(tls_key), 0, 0},
    {"https", "gateway_key_file", K_PATH, OFF(gateway_key_file), 0, 0},
    {"pool", "tick_ms", K_INT, OFF(pool_tick_ms), 50, 60000},
    {"pool", "workers", K_INT, OFF(pool_workers), 1, 64},
    {"pool", "ready_timeout_ms", K_INT, OFF(pool_ready_timeout_ms), 1000, 3600000},
    {"pool", "stop_timeout_ms", K_INT, OFF(pool_stop_timeout_ms), 1000, 3600000},
    {"pool", "restraint_failures", K_INT, OFF(pool_restraint_failures), 1, 1000},
    {"pool", "restraint_window_s", K_INT, OFF(pool_restraint_window_s), 10, 86400},
    {"pool", "memory_reserve_mb", K_INT, OFF(memory_reserve_mb), 0, 1 << 24},
};

void config_defaults(struct dp_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/deskpool");
    snprintf(c->socket, sizeof c->socket, "/run/deskpool/deskpoold.sock");
    snprintf(c->pidfile, sizeof c->pidfile, "/run/deskpool/deskpoold.pid");
    c->log_level = DP_LOG_INFO;
    c->api_workers = 4;
    c->session_ttl_s = 8 * 3600;
    c->https_enabled = 1;
    snprintf(c->https_host, sizeof c->https_host, "0.0.0.0");
    c->https_port = 8443;
    c->pool_tick_ms = 1000;
    c->pool_workers = 2;
    c->pool_ready_timeout_ms = 180000;
    c->pool_stop_timeout_ms = 30000;
    c->pool_restraint_failures = 3;
    c->pool_restraint_window_s = 600;
    c->memory_reserve_mb = 1024;
}

int config_parse_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        hlen = (size_t)(close - s - 1);
        s++;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= cap)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
        return -1;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"on", "yes", "true", "1"}, *no[] = {"off", "no", "false", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* Sets one key; on failure writes why (without the location, which inih knows) to msg. */
static int set_key(struct dp_config *c, const struct key *k, const char *v, char *msg, size_t cap)
{
    char *field = (char *)c + k->off;
    switch (k->type) {
    case K_PATH:
        if (!*v || strlen(v) >= PATH_MAX) {
            snprintf(msg, cap, "%s must be a path (not empty, shorter than %d bytes)", k->name,
                     PATH_MAX);
            return -1;
        }
        snprintf(field, PATH_MAX, "%s", v);
        return 0;
    case K_STR64:
        if (strlen(v) >= 64) {
            snprintf(msg, cap, "%s is longer than 63 bytes", k->name);
            return -1;
        }
        snprintf(field, 64, "%s", v);
        return 0;
    case K_INT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < k->min || n > k->max) {
            snprintf(msg, cap, "%s = \"%s\": expected a whole number from %d to %d", k->name, v,
                     k->min, k->max);
            return -1;
        }
        *(int *)field = (int)n;
        return 0;
    }
    case K_BOOL:
        if (parse_bool(v, (int *)field) != 0) {
            snprintf(msg, cap, "%s = \"%s\": expected on or off", k->name, v);
            return -1;
        }
        return 0;
    case K_LEVEL:
        if (dp_log_level_parse(v, &c->log_level) != 0) {
            snprintf(msg, cap, "%s = \"%s\": expected error, warn, info or debug", k->name, v);
            return -1;
        }
        return 0;
    case K_ADDR:
        /* Goes verbatim into .rdp files: no spaces or control characters. */
        if (!*v || strlen(v) >= 256 || strcspn(v, " \t\r\n;\"") != strlen(v)) {
            snprintf(msg, cap, "%s = \"%s\": expected HOST or HOST:PORT (e.g. gw.example.org:3389)",
                     k->name, v);
            return -1;
        }
        snprintf(field, 256, "%s", v);
        return 0;
    case K_LISTEN:
        if (strcmp(v, "off") == 0) {
            c->https_enabled = 0;
            return 0;
        }
        if (config_parse_listen(v, c->https_host, sizeof c->https_host, &c->https_port) != 0) {
            snprintf(msg, cap, "%s = \"%s\": expected HOST:PORT (e.g. 0.0.0.0:8443) or off",
                     k->name, v);
            return -1;
        }
        c->https_enabled = 1;
        return 0;
    }
    return -1;
}

struct parse_state {
    struct dp_config *c;
    char msg[512]; /* the first error; inih reports its line */
};

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *ps = user;
    char msg[512];
    int section_known = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        section_known = 1;
        if (strcmp(keys[i].name, name) != 0)
            continue;
        if (set_key(ps->c, &keys[i], value, msg, sizeof msg) == 0)
            return 1;
        if (!ps->msg[0])
            snprintf(ps->msg, sizeof ps->msg, "[%s] %s", section, msg);
        return 0;
    }
    if (!ps->msg[0]) {
        if (!section_known)
            snprintf(ps->msg, sizeof ps->msg,
                     "unknown section [%s] (key \"%s\"); the sections are [broker], [https] "
                     "and [pool]",
                     section, name);
        else
            snprintf(ps->msg, sizeof ps->msg,
                     "unknown key \"%s\" in [%s]; see deskpoold --help for the keys", name,
                     section);
    }
    return 0;
}

/* Paths the file did not set, from state_dir. */
static void derive(struct dp_config *c)
{
    struct {
        char *field;
        const char *rel;
    } d[] = {
        {c->db, "deskpool.db"},
        {c->secret_key_file, "secret.key"},
        {c->gateway_key_file, "gateway.key"},
        {c->tls_cert, "tls/cert.pem"},
        {c->tls_key, "tls/key.pem"},
        {c->log_file, "deskpoold.log"},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (!d[i].field[0])
            snprintf(d[i].field, PATH_MAX, "%s/%s", c->state_dir, d[i].rel);
}

int config_parse_string(struct dp_config *c, const char *text, const char *name, struct dp_err *err)
{
    struct parse_state ps = {.c = c};
    int line = ini_parse_string(text, on_key, &ps);
    if (line != 0) {
        if (ps.msg[0])
            dp_err_set(err, "%s:%d: %s", name, line, ps.msg);
        else
            dp_err_set(err, "%s:%d: not INI syntax (expected [section] or key = value)", name,
                       line);
        return -1;
    }
    derive(c);
    return 0;
}

int config_load(struct dp_config *c, const char *path, int required, struct dp_err *err)
{
    config_defaults(c);
    size_t len;
    struct dp_err rerr = {0};
    if (!dp_path_exists(path)) {
        if (required) {
            dp_err_set(err, "config file %s does not exist; create it or leave out --config", path);
            return -1;
        }
        derive(c);
        return 0;
    }
    char *text = dp_read_file(path, 1 << 20, &len, &rerr);
    if (!text) {
        dp_err_set(err, "cannot read config file %s: %s", path, dp_err_msg(&rerr));
        return -1;
    }
    int rc = config_parse_string(c, text, path, err);
    free(text);
    if (rc == 0)
        snprintf(c->path, sizeof c->path, "%s", path);
    return rc;
}
