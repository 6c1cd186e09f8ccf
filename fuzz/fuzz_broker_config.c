/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpoold's config file (INI through inih, broker/daemon/config.c). An admin's typo must
 * give an error naming the line, never a crash; a file that is accepted must leave a config
 * the daemon can use: every path set and NUL-terminated, every number inside its range.
 */
#include "config.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_path(const char *p, size_t cap)
{
    if (p[0] == '\0' || strnlen(p, cap) >= cap)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct dp_config *c = malloc(sizeof *c);
    if (!c) {
        free(text);
        return 0;
    }
    config_defaults(c);
    struct dp_err err = {0};
    if (config_parse_string(c, text, "fuzz.conf", &err) == 0) {
        check_path(c->state_dir, sizeof c->state_dir);
        check_path(c->db, sizeof c->db);
        check_path(c->socket, sizeof c->socket);
        check_path(c->secret_key_file, sizeof c->secret_key_file);
        check_path(c->gateway_key_file, sizeof c->gateway_key_file);
        check_path(c->tls_cert, sizeof c->tls_cert);
        check_path(c->log_file, sizeof c->log_file);
        if (c->api_workers < 1 || c->api_workers > 64 || c->pool_workers < 1 ||
            c->pool_workers > 64 || c->pool_tick_ms < 50 || c->session_ttl_s < 60)
            abort();
        if (c->https_enabled && (c->https_port < 1 || c->https_port > 65535 || !c->https_host[0]))
            abort();
        if (strnlen(c->admin_group, sizeof c->admin_group) >= sizeof c->admin_group ||
            strnlen(c->gateway_address, sizeof c->gateway_address) >= sizeof c->gateway_address)
            abort();
    } else if (!err.set || strncmp(err.msg, "fuzz.conf:", 10) != 0) {
        abort(); /* every refusal names the file and line */
    }
    free(c);
    free(text);
    return 0;
}
