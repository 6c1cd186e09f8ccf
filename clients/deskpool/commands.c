/* SPDX-License-Identifier: Apache-2.0 */
/* Every deskpool command, in the order `deskpool --help` lists them. */
#include "cli.h"

extern const struct cli_cmd cmd_template_build, cmd_template_import, cmd_template_list,
    cmd_template_show, cmd_template_delete, cmd_pool_create, cmd_pool_list, cmd_pool_show,
    cmd_pool_set, cmd_pool_resize, cmd_pool_recompose, cmd_pool_resume, cmd_pool_delete,
    cmd_vm_list, cmd_vm_show, cmd_vm_start, cmd_vm_stop, cmd_vm_reset, cmd_vm_delete, cmd_user_add,
    cmd_user_passwd, cmd_user_disable, cmd_user_enable, cmd_user_unlock, cmd_user_list,
    cmd_user_show, cmd_user_delete, cmd_group_add, cmd_group_list, cmd_group_member, cmd_entitle,
    cmd_session_list, cmd_session_logoff, cmd_session_disconnect, cmd_desktop_request, cmd_events,
    cmd_status;

const struct cli_cmd *cli_table[] = {
    &cmd_template_build,  &cmd_template_import,
    &cmd_template_list,   &cmd_template_show,
    &cmd_template_delete, &cmd_pool_create,
    &cmd_pool_list,       &cmd_pool_show,
    &cmd_pool_set,        &cmd_pool_resize,
    &cmd_pool_recompose,  &cmd_pool_resume,
    &cmd_pool_delete,     &cmd_vm_list,
    &cmd_vm_show,         &cmd_vm_start,
    &cmd_vm_stop,         &cmd_vm_reset,
    &cmd_vm_delete,       &cmd_user_add,
    &cmd_user_passwd,     &cmd_user_disable,
    &cmd_user_enable,     &cmd_user_unlock,
    &cmd_user_list,       &cmd_user_show,
    &cmd_user_delete,     &cmd_group_add,
    &cmd_group_list,      &cmd_group_member,
    &cmd_entitle,         &cmd_session_list,
    &cmd_session_logoff,  &cmd_session_disconnect,
    &cmd_desktop_request, &cmd_events,
    &cmd_status,          NULL,
};
