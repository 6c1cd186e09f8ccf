/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"
#include "store.h"

#include <stdio.h>

static int exec_template_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_template_verify_entry;
    char name[64];
    int version;
    if (argc != 2 || store_parse_ref(argv[1], name, sizeof name, &version) != 0)
        return cmd_usage(&cmd_template_verify_entry);
    struct dp_err err = {0};
    struct tpl_version v;
    if (store_get(ctx->hv->state_dir, name, version, &v, &err) != 0 || store_verify(&v, &err) != 0)
        return cmd_fail(&err);
    printf("template %s:%d is intact (sha256 %s)\n", v.name, v.version, v.sha256);
    return 0;
}

const struct cmd_entry cmd_template_verify_entry = {
    "template verify", "NAME[:VERSION]",
    "check a version's base image against its recorded sha256 and with qemu-img check",
    exec_template_verify};
