/* SPDX-License-Identifier: Apache-2.0 */
/* template build tiny: runs templates/tiny/build.sh, then imports its output as a version. */
#include "cmd.h"
#include "tiny_build.h"

#include <stdio.h>
#include <string.h>

static int exec_template_build(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_template_build_entry;
    if (argc != 2 || strcmp(argv[1], "tiny") != 0)
        return cmd_usage(&cmd_template_build_entry);
    struct dp_err err = {0};
    struct tiny_build_inputs in;
    tiny_build_locate(&in, DESKPOOL_SOURCE_DIR, DESKPOOL_BINARY_DIR);
    struct tpl_version v;
    int with_desktop = 0;
    if (tiny_build(ctx->hv->state_dir, &in, &v, &with_desktop, &err) != 0)
        return cmd_fail(&err);
    printf("template tiny:%d ready (%s)%s\n", v.version, v.base,
           with_desktop ? "" : " -- without the RDP desktop (deskpool-desktop not built)");
    return 0;
}

const struct cmd_entry cmd_template_build_entry = {
    "template build", "tiny",
    "build the tiny demo template from Debian packages (cached) and store it as a version",
    exec_template_build};
