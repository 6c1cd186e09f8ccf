/* SPDX-License-Identifier: Apache-2.0 */
/* guest-shutdown: powerdown (default), halt or reboot. No reply on success, as qemu-ga. */
#include "log.h"
#include "qga_cmds.h"

#include <string.h>

static const struct qga_arg shutdown_args[] = {{"mode", QGA_ARG_STR, 0}};

json_t *cmd_guest_shutdown(struct qga_call *call, json_t *args)
{
    if (qga_args_check(call, args, shutdown_args, 1) != 0)
        return NULL;
    const char *mode = json_string_value(json_object_get(args, "mode"));
    enum guestd_power power;
    if (!mode || strcmp(mode, "powerdown") == 0) {
        power = GUESTD_POWERDOWN;
    } else if (strcmp(mode, "halt") == 0) {
        power = GUESTD_HALT;
    } else if (strcmp(mode, "reboot") == 0) {
        power = GUESTD_REBOOT;
    } else {
        dp_err_set(&call->err, "Parameter 'mode' must be one of: powerdown, halt, reboot");
        return NULL;
    }
    log_info("guest-shutdown: %s", mode ? mode : "powerdown");
    call->no_reply = 1;
    if (call->ctx->sys.power(call->ctx->sys.opaque, power, &call->err) != 0)
        call->no_reply = 0;
    return NULL;
}
