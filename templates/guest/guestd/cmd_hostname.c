/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-set-host-name: personalises a clone (every instant clone starts with the
 * parent's name). Sets the kernel's name and /etc/hostname, so a reboot keeps it. */
#include "files.h"
#include "log.h"
#include "qga_cmds.h"
#include "hostname.h"

#include <stdio.h>
#include <string.h>

static const struct qga_arg hostname_args[] = {{"host-name", QGA_ARG_STR, 1}};

json_t *cmd_deskpool_set_host_name(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, hostname_args, 1) != 0)
        return NULL;
    const char *name = json_string_value(json_object_get(args, "host-name"));
    if (hostname_valid(name, &call->err) != 0)
        return NULL;
    char line[HOSTNAME_MAX + 2];
    int n = snprintf(line, sizeof line, "%s\n", name);
    if (dp_write_file_atomic(call->ctx->paths.hostname, line, (size_t)n, 0644, &call->err) != 0)
        return NULL;
    if (call->ctx->sys.set_hostname(call->ctx->sys.opaque, name, &call->err) != 0)
        return NULL;
    log_info("host name set to %s", name);
    return json_object();
}
