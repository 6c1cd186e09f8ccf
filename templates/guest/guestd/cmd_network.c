/* SPDX-License-Identifier: Apache-2.0 */
/* guest-network-get-interfaces: the broker learns a bridged VM's address from it. */
#include "qga_cmds.h"

json_t *cmd_guest_network_get_interfaces(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, NULL, 0) != 0)
        return NULL;
    return call->ctx->sys.interfaces(call->ctx->sys.opaque, &call->err);
}
