/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deskpool-add-entropy: the host's random bytes for a restored clone. Every instant clone
 * resumes with its parent's kernel RNG state, so until the kernel reseeds on its own (up to a
 * minute later) clones of one parent would draw the same "random" numbers: TLS keys,
 * session ids, NTLM challenges. The host sends fresh bytes right after the restore (hv
 * personalise); they are credited and the RNG is reseeded at once. This is what a VM
 * generation ID does for guests whose kernel has the vmgenid driver (the tiny template's
 * cloud kernel has not).
 */
#include "b64.h"
#include "guestd.h"
#include "log.h"
#include "qga_cmds.h"

#include <string.h>

static const struct qga_arg entropy_args[] = {{"data", QGA_ARG_STR, 1}};

json_t *cmd_deskpool_add_entropy(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, entropy_args, 1) != 0)
        return NULL;
    json_t *data = json_object_get(args, "data");
    uint8_t buf[GUESTD_ENTROPY_MAX];
    long n = dp_b64_decode(json_string_value(data), json_string_length(data), buf, sizeof buf, 1);
    if (n < GUESTD_ENTROPY_MIN) {
        dp_err_set(&call->err,
                   "\"data\" must be base64 of %d to %d random bytes; send 64 bytes from the "
                   "host's RNG",
                   GUESTD_ENTROPY_MIN, GUESTD_ENTROPY_MAX);
        return NULL;
    }
    int rc = -1;
    if (!call->ctx->sys.add_entropy)
        dp_err_set(&call->err, "deskpool-add-entropy is not supported on this guest");
    else
        rc = call->ctx->sys.add_entropy(call->ctx->sys.opaque, buf, (size_t)n, &call->err);
    explicit_bzero(buf, sizeof buf);
    if (rc != 0)
        return NULL;
    log_info("kernel RNG reseeded with %ld bytes from the host", n);
    return json_pack("{s:i}", "bytes", (int)n);
}
