/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CredSSP TSRequest DER under libFuzzer. frame_len and decode must agree; a decoded request
 * re-encodes (canonically, so never longer than the input) and decodes to the same fields;
 * shorter reads of an accepted request wait. The NTLM reader runs on the first negoToken
 * as the gateway will run it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntlm_msg.h"
#include "tsrequest.h"

static int same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (!a || !b)
        return !a && !b;
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_tsrequest r, back;
    struct dp_err err = {0};
    size_t total = 0, used = 0, u2 = 0;

    int frc = gw_tsrequest_frame_len(data, size, &total, NULL);
    int rc = gw_tsrequest_decode(data, size, &r, &used, &err);
    if (rc == GW_ERROR && !err.set)
        abort();
    if (rc == GW_OK && (frc != GW_OK || used != total || used > size))
        abort();
    if (frc == GW_OK && total > GW_TSREQUEST_MAX)
        abort();
    if (frc == GW_OK && size < total && rc != GW_NEED_MORE)
        abort();
    if (rc != GW_OK)
        return 0;

    for (size_t k = 0; k < used; k = k < 16 ? k + 1 : k + 1 + k / 3)
        if (gw_tsrequest_decode(data, k, &back, &u2, NULL) != GW_NEED_MORE)
            abort();

    static uint8_t out[GW_TSREQUEST_MAX];
    int w = gw_tsrequest_encode(&r, out, sizeof out, NULL);
    if (w < 0 || (size_t)w > used || (size_t)w != gw_tsrequest_encoded_len(&r))
        abort();
    if (gw_tsrequest_decode(out, (size_t)w, &back, &u2, NULL) != GW_OK || u2 != (size_t)w)
        abort();
    if (back.version != r.version || back.has_error_code != r.has_error_code ||
        back.error_code != r.error_code ||
        !same(back.nego_token, back.nego_token_len, r.nego_token, r.nego_token_len) ||
        !same(back.auth_info, back.auth_info_len, r.auth_info, r.auth_info_len) ||
        !same(back.pub_key_auth, back.pub_key_auth_len, r.pub_key_auth, r.pub_key_auth_len) ||
        !same(back.client_nonce, back.client_nonce_len, r.client_nonce, r.client_nonce_len))
        abort();

    if (r.nego_token) {
        struct gw_ntlm_auth a;
        if (gw_ntlm_auth_names(r.nego_token, r.nego_token_len, &a, NULL) == 0 &&
            (a.user_len != strlen(a.user) || a.domain_len != strlen(a.domain)))
            abort();
    }
    return 0;
}
