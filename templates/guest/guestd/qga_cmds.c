/* SPDX-License-Identifier: Apache-2.0 */
#include "qga_cmds.h"

#include <string.h>

/* Every command guestd answers; guest-info reports this list. */
const struct qga_cmd qga_cmds[] = {
    {"guest-sync-delimited", cmd_guest_sync_delimited, 1},
    {"guest-sync", cmd_guest_sync, 1},
    {"guest-ping", cmd_guest_ping, 1},
    {"guest-info", cmd_guest_info, 1},
    {"guest-set-user-password", cmd_guest_set_user_password, 1},
    {"guest-get-users", cmd_guest_get_users, 1},
    {"guest-shutdown", cmd_guest_shutdown, 0},
    {"guest-network-get-interfaces", cmd_guest_network_get_interfaces, 1},
    {"guest-set-time", cmd_guest_set_time, 1},
    {"deskpool-set-host-name", cmd_deskpool_set_host_name, 1},
    {"deskpool-set-user-nthash", cmd_deskpool_set_user_nthash, 1},
    {"deskpool-logoff-user", cmd_deskpool_logoff_user, 1},
    {"deskpool-add-entropy", cmd_deskpool_add_entropy, 1},
    {NULL, NULL, 0},
};

const struct qga_cmd *qga_cmd_find(const char *name)
{
    for (const struct qga_cmd *c = qga_cmds; c->name; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static int type_ok(json_t *v, enum qga_arg_type type)
{
    switch (type) {
    case QGA_ARG_INT:
        return json_is_integer(v);
    case QGA_ARG_STR:
        return json_is_string(v);
    case QGA_ARG_BOOL:
        return json_is_boolean(v);
    }
    return 0;
}

static const char *type_name(enum qga_arg_type type)
{
    return type == QGA_ARG_INT ? "integer" : type == QGA_ARG_STR ? "string" : "boolean";
}

int qga_args_check(struct qga_call *call, json_t *args, const struct qga_arg *spec, size_t n)
{
    const char *key;
    json_t *value;
    if (args) {
        json_object_foreach(args, key, value)
        {
            size_t i = 0;
            while (i < n && strcmp(spec[i].name, key) != 0)
                i++;
            if (i == n) {
                dp_err_set(&call->err, "Parameter '%.64s' is unexpected", key);
                return -1;
            }
            if (!type_ok(value, spec[i].type)) {
                dp_err_set(&call->err, "Invalid parameter type for '%s', expected: %s",
                           spec[i].name, type_name(spec[i].type));
                return -1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (spec[i].required && !(args && json_object_get(args, spec[i].name))) {
            dp_err_set(&call->err, "Parameter '%s' is missing", spec[i].name);
            return -1;
        }
    }
    return 0;
}
