/* SPDX-License-Identifier: Apache-2.0 */
#include "ntlm_msg.h"

#include <string.h>

#include "utf16.h"
#include "wire.h"

#define NTLM_HEADER 12u
/* AUTHENTICATE up to and including NegotiateFlags; Version and MIC are optional. */
#define AUTH_MIN 64u

static const uint8_t SIGNATURE[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

int gw_ntlm_message_type(const uint8_t *msg, size_t len, struct dp_err *err)
{
    if (len < NTLM_HEADER) {
        dp_err_set(err, "NTLM message: %zu bytes, too short for the 12-byte header", len);
        return -1;
    }
    if (memcmp(msg, SIGNATURE, sizeof SIGNATURE) != 0) {
        dp_err_set(err, "NTLM message: no \"NTLMSSP\" signature; the client offered another "
                        "mechanism (Kerberos or SPNEGO), and the gateway only speaks NTLM");
        return -1;
    }
    uint32_t type = gw_rd32le(msg + 8);
    if (type < GW_NTLM_NEGOTIATE || type > GW_NTLM_AUTHENTICATE) {
        dp_err_set(err, "NTLM message: MessageType %u is not 1, 2 or 3", type);
        return -1;
    }
    return (int)type;
}

/* Converts one *Fields-described UTF-16LE string of the message into dst. */
static int read_name(const uint8_t *msg, size_t len, size_t fields, const char *what, char *dst,
                     size_t cap, size_t *out_len, struct dp_err *err)
{
    uint32_t n = gw_rd16le(msg + fields);
    uint32_t off = gw_rd32le(msg + fields + 4);

    if (n == 0) {
        /* BufferOffset of an empty field is not used; clients leave odd values there. */
        dst[0] = '\0';
        *out_len = 0;
        return 0;
    }
    if (off < AUTH_MIN || off > len || n > len - off) {
        dp_err_set(err,
                   "NTLM AUTHENTICATE: %s (%u bytes at offset %u) lies outside the %zu-byte "
                   "message",
                   what, n, off, len);
        return -1;
    }
    if (n % 2) {
        dp_err_set(err, "NTLM AUTHENTICATE: %s is %u bytes, an odd length for UTF-16", what, n);
        return -1;
    }
    if (n / 2 > GW_NTLM_NAME_MAX_UNITS) {
        dp_err_set(err, "NTLM AUTHENTICATE: %s is %u characters; at most %u are accepted", what,
                   n / 2, GW_NTLM_NAME_MAX_UNITS);
        return -1;
    }
    const char *why = NULL;
    int r = gw_utf16le_to_utf8(msg + off, n / 2, 0, dst, cap, &why);
    if (r < 0) {
        dp_err_set(err, "NTLM AUTHENTICATE: %s is not valid UTF-16: %s", what, why);
        return -1;
    }
    *out_len = (size_t)r;
    return 0;
}

int gw_ntlm_auth_names(const uint8_t *msg, size_t len, struct gw_ntlm_auth *out, struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    int type = gw_ntlm_message_type(msg, len, err);
    if (type < 0)
        return -1;
    if (type != GW_NTLM_AUTHENTICATE) {
        dp_err_set(err, "NTLM message: expected AUTHENTICATE (3), got MessageType %d", type);
        return -1;
    }
    if (len < AUTH_MIN) {
        dp_err_set(err, "NTLM AUTHENTICATE: %zu bytes, too short for its 64-byte header", len);
        return -1;
    }
    out->negotiate_flags = gw_rd32le(msg + 60);
    if (!(out->negotiate_flags & GW_NTLMSSP_NEGOTIATE_UNICODE)) {
        dp_err_set(err, "NTLM AUTHENTICATE: names are in an OEM code page "
                        "(NTLMSSP_NEGOTIATE_UNICODE not set); only Unicode clients are supported");
        goto fail;
    }
    if (read_name(msg, len, 36, "UserName", out->user, sizeof out->user, &out->user_len, err) < 0 ||
        read_name(msg, len, 28, "DomainName", out->domain, sizeof out->domain, &out->domain_len,
                  err) < 0)
        goto fail;
    return 0;
fail:
    memset(out, 0, sizeof *out);
    return -1;
}
