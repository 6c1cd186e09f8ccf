/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-gw's config file (INI through inih, rdp-gw/gw_config.c). Whatever the file holds
 * gives an accepted config or an error naming the file, never a crash; an accepted one has
 * its numbers inside their ranges and its strings NUL-terminated, and gw_config_check (run
 * before the gateway starts) gives an answer on it.
 */
#include "err.h"
#include "gw_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct gw_config c;
    gw_config_defaults(&c);
    struct dp_err err = {0};
    if (gw_config_load_string(&c, text, "fuzz.conf", &err) == 0) {
        if (c.listen_port < 1 || c.listen_port > 65535 || !c.listen_host[0])
            abort();
        if (c.metrics_port < 0 || c.metrics_port > 65535)
            abort();
        if (c.broker_timeout_s < 1 || c.max_connections < 1 || c.max_per_source < 1 ||
            c.relay_buffer_kb < 128 || c.desktop_wait_s < 1 || c.handshake_timeout_s < 1)
            abort();
        if (strnlen(c.broker_url, sizeof c.broker_url) >= sizeof c.broker_url ||
            strnlen(c.broker_pin_sha256, sizeof c.broker_pin_sha256) >=
                sizeof c.broker_pin_sha256 ||
            strnlen(c.log_level, sizeof c.log_level) >= sizeof c.log_level)
            abort();
        struct dp_err cerr = {0};
        if (gw_config_check(&c, &cerr) != 0 && !cerr.set)
            abort(); /* a refused config says why */
    } else if (!err.set || strstr(err.msg, "fuzz.conf") == NULL) {
        abort(); /* every refusal names the file */
    }
    free(text);
    return 0;
}
