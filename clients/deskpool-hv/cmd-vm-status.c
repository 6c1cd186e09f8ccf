/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

json_t *cmd_status_json(const struct hv_vm_status *s);

json_t *cmd_status_json(const struct hv_vm_status *s)
{
    return json_pack("{s:s,s:s,s:i,s:i,s:I}", "name", s->name, "state", hv_state_name(s->state),
                     "pid", s->pid, "rdp_port", s->rdp_port, "rss_kb", (json_int_t)s->rss_kb);
}

static int exec_vm_status(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_status_entry;
    if (argc != 2)
        return cmd_usage(&cmd_vm_status_entry);
    struct dp_err err = {0};
    struct hv_vm_status s;
    if (ctx->hv->ops->status(ctx->hv, argv[1], &s, &err) != 0)
        return cmd_fail(&err);
    if (ctx->json) {
        json_t *o = cmd_status_json(&s);
        char *t = json_dumps(o, JSON_INDENT(2));
        puts(t);
        free(t);
        json_decref(o);
    } else {
        printf("VM %s: %s", s.name, hv_state_name(s.state));
        if (s.pid)
            printf(", pid %d, RSS %ld MiB", s.pid, s.rss_kb / 1024);
        if (s.rdp_port)
            printf(", RDP on 127.0.0.1:%d", s.rdp_port);
        printf("\n");
    }
    return 0;
}

const struct cmd_entry cmd_vm_status_entry = {
    "vm status", "NAME", "state, pid, memory and RDP port of a VM", exec_vm_status};
