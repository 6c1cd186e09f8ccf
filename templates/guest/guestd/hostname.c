/* SPDX-License-Identifier: Apache-2.0 */
#include "hostname.h"
#include "err.h"

#include <string.h>

int hostname_valid(const char *name, struct dp_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > HOSTNAME_MAX) {
        dp_err_set(err, "host name must be 1 to %d characters long", HOSTNAME_MAX);
        return -1;
    }
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = name[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || name[i - 1] == '-') {
                dp_err_set(err, "host name \"%s\" has an empty label or one ending in '-'", name);
                return -1;
            }
            label = 0;
            continue;
        }
        int ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (label == 0 && c == '-')) {
            dp_err_set(err, "host name may hold only letters, digits, '-' and '.', and a "
                            "label cannot start with '-'");
            return -1;
        }
        label++;
    }
    return 0;
}
