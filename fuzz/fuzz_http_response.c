/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool's HTTP response parser under libFuzzer. Properties: an error always says why; a
 * complete response fits the input, its body is NUL-terminated and within the limit; a
 * response complete before the close is complete after it too (same status and body), and
 * any shorter prefix of what it consumed asks for more (never a different answer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_unix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    for (int eof = 0; eof <= 1; eof++) {
        struct http_response r, again;
        struct dp_err err = {0};
        int rc = http_response_parse(buf, size, eof, &r, &err);
        if (rc == HTTP_PARSE_ERROR && !err.set)
            abort();
        if (rc != HTTP_PARSE_DONE)
            continue;
        if (r.consumed > size || r.body_len > HTTP_MAX_BODY || r.body[r.body_len] != '\0' ||
            r.status < 200 || r.status > 599)
            abort();
        if (!eof) {
            if (http_response_parse(buf, size, 1, &again, NULL) != HTTP_PARSE_DONE ||
                again.status != r.status || again.body_len != r.body_len ||
                memcmp(again.body, r.body, r.body_len) != 0)
                abort();
            http_response_free(&again);
            /* A few prefixes (all of them would be quadratic). */
            for (size_t k = 0; k < r.consumed; k += 1 + r.consumed / 16)
                if (http_response_parse(buf, k, 0, &again, NULL) == HTTP_PARSE_DONE)
                    abort();
        }
        http_response_free(&r);
    }
    return 0;
}
