/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-connect's ~/.config/deskpool/connect.conf (clients/deskpool-connect/conn_config.c).
 * The file is the user's to edit: any text gives a config or an error naming the line.
 * What is accepted must survive the program's own save: format it, parse that again, and
 * the same broker, fingerprint and user come back (else a second run would see another
 * broker or refuse the file it wrote).
 */
#include "connect.h"

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

    struct conn_config c, again;
    char msg[512], saved[2048];
    if (conn_config_parse(text, &c, msg, sizeof msg) == 0) {
        if (c.fingerprint[0] && strlen(c.fingerprint) != CONN_FP_LEN)
            abort();
        if (conn_config_format(&c, saved, sizeof saved) < 0)
            abort(); /* an accepted config always fits the file conn_config_save writes */
        if (conn_config_parse(saved, &again, msg, sizeof msg) != 0)
            abort(); /* the file it wrote is refused on the next run */
        if (strcmp(c.broker, again.broker) || strcmp(c.fingerprint, again.fingerprint) ||
            strcmp(c.user, again.user))
            abort();
    } else if (strncmp(msg, "line ", 5) != 0 && strcmp(msg, "out of memory") != 0) {
        abort(); /* every refusal names the line */
    }
    free(text);
    return 0;
}
