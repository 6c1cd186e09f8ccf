/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-set-user-nthash: stores a given NT hash in the SAM file. The broker's routing-token
 * path splices the client's TCP straight to the VM (TLS and NLA end to end), so the user logs
 * in to the VM with their own password; the broker only knows that password's NT hash
 * (encrypted at rest), never the password, hence a command that takes the hash itself.
 */
#include "log.h"
#include "qga_cmds.h"
#include "sam.h"

#include <string.h>

static const struct qga_arg nthash_args[] = {
    {"username", QGA_ARG_STR, 1},
    {"nt-hash", QGA_ARG_STR, 1},
};

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int guestd_nthash_parse(const char *hex, size_t len, uint8_t out[16])
{
    if (len != 32)
        return -1;
    for (size_t i = 0; i < 16; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            explicit_bzero(out, 16);
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

json_t *cmd_deskpool_set_user_nthash(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, nthash_args, 2) != 0)
        return NULL;
    const char *user = json_string_value(json_object_get(args, "username"));
    json_t *hex = json_object_get(args, "nt-hash");
    if (sam_user_valid(user, &call->err) != 0)
        return NULL;
    uint8_t hash[16];
    if (guestd_nthash_parse(json_string_value(hex), json_string_length(hex), hash) != 0) {
        /* The value is a secret: say what is wrong with it, never echo it. */
        dp_err_set(&call->err, "nt-hash must be exactly 32 hexadecimal digits (the MD4 of the "
                               "UTF-16LE password)");
        return NULL;
    }
    int rc = sam_set_user(call->ctx->paths.sam, user, hash, &call->err);
    explicit_bzero(hash, sizeof hash);
    if (rc != 0)
        return NULL;
    log_info("NT hash of user %s set in %s", user, call->ctx->paths.sam);
    return json_object();
}
