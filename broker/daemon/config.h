/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_CONFIG_H
#define DESKPOOL_BROKER_CONFIG_H

/*
 * deskpoold's configuration: one INI file, every key optional. Defaults make a working
 * demo broker with no file at all; paths left unset are derived from state_dir after the
 * file is read (so setting state_dir alone moves everything).
 *
 *   [broker]  state_dir, db, socket, pidfile, admin_group, log_level, syslog, log_file,
 *             secret_key_file, api_workers, session_ttl_s, gateway_address
 *   [https]   listen ("HOST:PORT", or "off"), cert, key, gateway_key_file
 *   [pool]    tick_ms, workers, ready_timeout_ms, stop_timeout_ms, restraint_failures,
 *             restraint_window_s, memory_reserve_mb
 */
#include "log.h"

#include <limits.h>
#include <stddef.h>

struct dp_err;

#define DESKPOOLD_DEFAULT_CONFIG "/etc/deskpool/deskpool.conf"

struct dp_config {
    char path[PATH_MAX]; /* the file read; "" when none */
    char state_dir[PATH_MAX];
    char db[PATH_MAX];
    char socket[PATH_MAX];
    char pidfile[PATH_MAX];
    char admin_group[64]; /* "" = root only */
    enum dp_log_level log_level;
    int syslog;
    char log_file[PATH_MAX]; /* where a daemonized deskpoold writes when syslog is off */
    char secret_key_file[PATH_MAX];
    int api_workers;   /* threads for blocking API work (desktop requests, logins, builds) */
    int session_ttl_s; /* lifetime of an HTTPS login's session token */
    /* Where clients reach deskpool-gw, "HOST" or "HOST:PORT", written into .rdp files and
     * connect answers; "" = this host's name, port 3389. */
    char gateway_address[256];

    int https_enabled;
    char https_host[256];
    int https_port;
    char tls_cert[PATH_MAX];
    char tls_key[PATH_MAX];
    char gateway_key_file[PATH_MAX];

    int pool_tick_ms;
    int pool_workers;
    int pool_ready_timeout_ms;
    int pool_stop_timeout_ms;
    int pool_restraint_failures;
    int pool_restraint_window_s;
    int memory_reserve_mb; /* host memory kept free of VMs by the pool memory check */
};

/* Fills c with the defaults (state_dir /var/lib/deskpool, socket /run/deskpool/...). */
void config_defaults(struct dp_config *c);

/*
 * Reads INI text (named `name` in messages) over the defaults in c, then derives the unset
 * paths. An unknown section or key, or a bad value, fails with "NAME:LINE: ..." naming the
 * key and what is accepted; c is then partly updated and must not be used.
 */
int config_parse_string(struct dp_config *c, const char *text, const char *name,
                        struct dp_err *err);

/*
 * Loads the defaults and the file at path. A missing file is an error if `required` (the
 * admin named it with --config), else the defaults are used (the demo needs no file).
 */
int config_load(struct dp_config *c, const char *path, int required, struct dp_err *err);

/* Parses "HOST:PORT" (IPv6 as "[::1]:8443"); returns 0 or -1. Pure. */
int config_parse_listen(const char *s, char *host, size_t cap, int *port);

#endif
