/* SPDX-License-Identifier: Apache-2.0 */
/* guest-sync, guest-sync-delimited, guest-ping, guest-info: the liveness commands. */
#include "qga_cmds.h"

#ifndef GUESTD_VERSION
#define GUESTD_VERSION "0.0.0"
#endif

static const struct qga_arg sync_args[] = {{"id", QGA_ARG_INT, 1}};

json_t *cmd_guest_sync(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, sync_args, 1) != 0)
        return NULL;
    return json_integer(json_integer_value(json_object_get(args, "id")));
}

json_t *cmd_guest_sync_delimited(struct qga_call *call, json_t *args)
{
    json_t *ret = cmd_guest_sync(call, args);
    /* The 0xFF tells the host where stale output ends; errors are not delimited. */
    if (ret)
        call->delimited = 1;
    return ret;
}

json_t *cmd_guest_ping(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, NULL, 0) != 0)
        return NULL;
    return json_object();
}

json_t *cmd_guest_info(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, NULL, 0) != 0)
        return NULL;
    json_t *list = json_array();
    for (const struct qga_cmd *c = qga_cmds; c->name && list; c++) {
        json_array_append_new(list, json_pack("{s:s,s:b,s:b}", "name", c->name, "enabled", 1,
                                              "success-response", c->success_response));
    }
    return json_pack("{s:s,s:o*}", "version", GUESTD_VERSION, "supported_command", list);
}
