/* SPDX-License-Identifier: Apache-2.0 */
/* guest-set-time: after an instant-clone restore the guest clock is as old as the saved
 * state; the broker sets it so TLS and NTLM timestamps are right. */
#include "qga_cmds.h"

static const struct qga_arg time_args[] = {{"time", QGA_ARG_INT, 0}};

json_t *cmd_guest_set_time(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, time_args, 1) != 0)
        return NULL;
    json_t *t = json_object_get(args, "time");
    json_int_t ns = t ? json_integer_value(t) : 0;
    if (t && ns < 0) {
        dp_err_set(&call->err, "Invalid parameter 'time': must be nanoseconds since the epoch "
                               "(not negative)");
        return NULL;
    }
    if (call->ctx->sys.set_time(call->ctx->sys.opaque, t != NULL, (int64_t)ns, &call->err) != 0)
        return NULL;
    return json_object();
}
