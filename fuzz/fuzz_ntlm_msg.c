/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NTLM message type and AUTHENTICATE user/domain extraction under libFuzzer: every offset
 * and length comes from the input, so ASan checks that none is followed unchecked; names
 * come out as C strings of their stated length, and a failure leaves them empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntlm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_ntlm_auth a;
    struct dp_err err = {0};

    int type = gw_ntlm_message_type(data, size, NULL);
    if (type != -1 && (type < 1 || type > 3))
        abort();
    int rc = gw_ntlm_auth_names(data, size, &a, &err);
    if (rc == 0) {
        if (type != GW_NTLM_AUTHENTICATE || a.user_len != strlen(a.user) ||
            a.domain_len != strlen(a.domain) || a.user_len > 3 * GW_NTLM_NAME_MAX_UNITS ||
            a.domain_len > 3 * GW_NTLM_NAME_MAX_UNITS)
            abort();
    } else if (!err.set || a.user[0] || a.domain[0]) {
        abort();
    }
    return 0;
}
