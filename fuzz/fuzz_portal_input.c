/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a browser or an RDP client hands the broker as text: the portal's Cookie header and
 * a routing token presented at the gateway. Both parsers must stay inside their buffers, give
 * NUL-terminated results, and never accept what they then cannot round-trip.
 */
#include "cookie.h"
#include "routing_token.h"

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

    char value[64];
    if (cookie_find(text, PORTAL_COOKIE, value, sizeof value) == 0 &&
        (value[0] == '\0' || strlen(value) >= sizeof value))
        abort(); /* a found cookie is non-empty and fits */

    struct routing_token_parts p;
    if (routing_token_split(text, &p) == 0) {
        if (strlen(p.raw) != ROUTING_TOKEN_RAW_LEN || strlen(p.mac) >= sizeof p.mac)
            abort();
        uint8_t key[32] = {0};
        (void)routing_token_valid(key, &p, 0); /* must not crash on any split token */
    }
    free(text);
    return 0;
}
