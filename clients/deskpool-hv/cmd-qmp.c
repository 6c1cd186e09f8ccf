/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"
#include "qmp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_qmp(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_qmp_entry;
    if (argc < 3 || argc > 4)
        return cmd_usage(&cmd_qmp_entry);
    struct dp_err err = {0};
    struct hv_vm_paths p;
    if (ctx->hv->ops->paths(ctx->hv, argv[1], &p, &err) != 0)
        return cmd_fail(&err);
    json_t *args = NULL;
    if (argc == 4) {
        json_error_t je;
        args = json_loads(argv[3], 0, &je);
        if (!json_is_object(args)) {
            dp_err_set(&err, "arguments must be a JSON object (%s)", je.text);
            json_decref(args);
            return cmd_fail(&err);
        }
    }
    json_t *ret = qmp_call(p.qmp, argv[2], args, 10000, &err);
    if (!ret)
        return cmd_fail(&err);
    char *text = json_dumps(ret, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text);
    free(text);
    json_decref(ret);
    return 0;
}

const struct cmd_entry cmd_qmp_entry = {"qmp", "NAME COMMAND [JSON-ARGS]",
                                        "run a QMP command on a VM's QEMU (query-status, ...)",
                                        exec_qmp};
