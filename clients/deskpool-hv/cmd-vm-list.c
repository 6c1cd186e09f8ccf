/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

json_t *cmd_status_json(const struct hv_vm_status *s);

static int exec_vm_list(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_list_entry;
    if (argc != 1)
        return cmd_usage(&cmd_vm_list_entry);
    struct dp_err err = {0};
    struct hv_vm_status *v;
    size_t n;
    if (ctx->hv->ops->list(ctx->hv, &v, &n, &err) != 0)
        return cmd_fail(&err);
    json_t *arr = json_array();
    if (!ctx->json)
        printf("%-20s %-9s %8s %8s %9s\n", "VM", "STATE", "PID", "RSS_MiB", "RDP_PORT");
    for (size_t i = 0; i < n; i++) {
        if (ctx->json)
            json_array_append_new(arr, cmd_status_json(&v[i]));
        else
            printf("%-20s %-9s %8d %8ld %9d\n", v[i].name, hv_state_name(v[i].state), v[i].pid,
                   v[i].rss_kb / 1024, v[i].rdp_port);
    }
    if (ctx->json) {
        char *t = json_dumps(arr, JSON_INDENT(2));
        puts(t);
        free(t);
    }
    json_decref(arr);
    free(v);
    return 0;
}

const struct cmd_entry cmd_vm_list_entry = {"vm list", "", "all VMs in the state directory",
                                            exec_vm_list};
