/* SPDX-License-Identifier: Apache-2.0 */
/* CSRF tokens: an HMAC of the session token, checked in constant time. */
#include "csrf.h"
#include "selfservice_crypto.h"

#include <stdio.h>
#include <string.h>

int csrf_key(const uint8_t master[32], uint8_t key[32])
{
    return ss_derive_key(master, "deskpool portal csrf v1", key);
}

int csrf_token(const uint8_t key[32], const char *session, char out[CSRF_TOKEN_LEN])
{
    char msg[320];
    int n = snprintf(msg, sizeof msg, "csrf|%s", session);
    if (n < 0 || (size_t)n >= sizeof msg)
        return -1;
    return ss_mac_b64(key, msg, (size_t)n, out);
}

int csrf_check(const uint8_t key[32], const char *session, const char *presented)
{
    char want[CSRF_TOKEN_LEN];
    if (!presented || !session || !*session || csrf_token(key, session, want) != 0)
        return 0;
    return ss_str_eq_ct(want, presented);
}
