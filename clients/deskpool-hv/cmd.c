/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"

#include <stdio.h>

extern const struct cmd_entry cmd_template_build_entry, cmd_template_import_entry,
    cmd_template_list_entry, cmd_template_verify_entry, cmd_vm_create_entry, cmd_vm_start_entry,
    cmd_vm_wait_entry, cmd_vm_stop_entry, cmd_vm_kill_entry, cmd_vm_destroy_entry,
    cmd_vm_reset_entry, cmd_vm_status_entry, cmd_vm_list_entry, cmd_qga_entry, cmd_qmp_entry,
    cmd_parent_build_entry, cmd_parent_list_entry, cmd_parent_gc_entry;

const struct cmd_entry *cmd_table[] = {
    &cmd_template_build_entry,
    &cmd_template_import_entry,
    &cmd_template_list_entry,
    &cmd_template_verify_entry,
    &cmd_parent_build_entry,
    &cmd_parent_list_entry,
    &cmd_parent_gc_entry,
    &cmd_vm_create_entry,
    &cmd_vm_start_entry,
    &cmd_vm_wait_entry,
    &cmd_vm_stop_entry,
    &cmd_vm_kill_entry,
    &cmd_vm_destroy_entry,
    &cmd_vm_reset_entry,
    &cmd_vm_status_entry,
    &cmd_vm_list_entry,
    &cmd_qga_entry,
    &cmd_qmp_entry,
    NULL,
};

int cmd_fail(const struct dp_err *err)
{
    fprintf(stderr, "deskpool-hv: %s\n", dp_err_msg(err));
    return 1;
}

int cmd_usage(const struct cmd_entry *e)
{
    fprintf(stderr, "usage: deskpool-hv %s %s\n", e->name, e->usage);
    return 2;
}

int cmd_vm_simple(struct cmd_ctx *ctx, int argc, char **argv, const struct cmd_entry *e,
                  int (*op)(struct hv *, const char *, struct dp_err *), const char *done)
{
    if (argc != 2)
        return cmd_usage(e);
    struct dp_err err = {0};
    if (op(ctx->hv, argv[1], &err) != 0)
        return cmd_fail(&err);
    printf("VM %s %s\n", argv[1], done);
    return 0;
}
