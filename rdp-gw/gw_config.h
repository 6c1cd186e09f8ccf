/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_CONFIG_H
#define DESKPOOL_GW_CONFIG_H

/*
 * deskpool-gw's configuration: one INI file (inih), read once at start. Every key has a
 * default except the broker URL and the gateway key file, without which the gateway can
 * authenticate no one. Sections and keys:
 *   [gateway] listen = ADDR:PORT (0.0.0.0:3389), state_dir (/var/lib/deskpool-gw),
 *             certificate, key (default STATE_DIR/tls.crt, tls.key: self-signed on first
 *             start), log_level (info), offer_hybrid_ex (false)
 *   [broker]  url (https://HOST:PORT, the API prefix /api/v1 is added), ca (PEM file that
 *             must have signed the broker's certificate), pin_sha256 (hex SHA-256 of the
 *             broker's certificate: accepted whatever its chain), key_file (the gateway
 *             key, hex, shared with deskpoold), timeout (10 s)
 *   [limits]  handshake_timeout (15 s), max_connections (4000), max_per_source (50),
 *             idle_timeout (0 = none), desktop_wait (60 s: how long a starting desktop is
 *             waited for), relay_buffer_kb (256), max_vm_logins (8: logins into desktop
 *             VMs at once; more wait their turn; 0 = no limit)
 *   [metrics] listen (127.0.0.1:9389; empty = off)
 */
#include <stddef.h>

struct dp_err;

#define GW_PATH_MAX 4096

struct gw_config {
    char listen_host[256];
    int listen_port;
    char state_dir[GW_PATH_MAX];
    char cert_file[GW_PATH_MAX];
    char key_file[GW_PATH_MAX];
    char log_level[16];
    int offer_hybrid_ex;

    char broker_url[1024];
    char broker_ca[GW_PATH_MAX];
    char broker_pin_sha256[65];
    char broker_key_file[GW_PATH_MAX];
    int broker_timeout_s;

    int handshake_timeout_s;
    int max_connections;
    int max_per_source;
    int idle_timeout_s;
    int desktop_wait_s;
    int relay_buffer_kb;
    int max_vm_logins;

    char metrics_host[256];
    int metrics_port; /* 0: no metrics listener */
};

/* Fills *cfg with the defaults documented above (broker url and key file empty). */
void gw_config_defaults(struct gw_config *cfg);

/*
 * Reads the INI file at path over the defaults in *cfg. Unknown sections or keys, bad
 * numbers and bad addresses are errors naming the line, so a typo never silently falls
 * back to a default. Does not check that files exist (gw_config_check does).
 */
int gw_config_load(struct gw_config *cfg, const char *path, struct dp_err *err);

/* Parses the same INI text from memory (for tests); name is used in messages. */
int gw_config_load_string(struct gw_config *cfg, const char *text, const char *name,
                          struct dp_err *err);

/*
 * Checks what a start needs: broker url and key file set, url scheme http or https,
 * limits positive. Returns 0 or -1 with err telling what to set.
 */
int gw_config_check(const struct gw_config *cfg, struct dp_err *err);

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port; 0 or -1. */
int gw_config_parse_hostport(const char *s, char *host, size_t host_cap, int *port);

#endif
