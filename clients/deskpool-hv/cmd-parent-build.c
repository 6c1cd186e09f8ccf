/* SPDX-License-Identifier: Apache-2.0 */
/* parent build T[:V] [--force]: boot and save the instant-clone parent of a template version. */
#include "cmd.h"
#include "parent.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int exec_parent_build(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_parent_build_entry;
    static const struct option opts[] = {{"force", 0, 0, 'f'}, {0, 0, 0, 0}};
    int force = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'f')
            return cmd_usage(&cmd_parent_build_entry);
        force = 1;
    }
    char tname[64];
    int tver;
    if (argc - optind != 1 || store_parse_ref(argv[optind], tname, sizeof tname, &tver) != 0)
        return cmd_usage(&cmd_parent_build_entry);
    struct dp_err err = {0};
    struct tpl_version v;
    struct hv_parent par;
    if (store_get(ctx->hv->state_dir, tname, tver, &v, &err) != 0 ||
        hv_parent_ensure(ctx->hv, &v, force, &par, &err) != 0)
        return cmd_fail(&err);
    if (ctx->json)
        printf("{\"dir\": \"%s\", \"boot_ms\": %d, \"save_ms\": %d, \"state_bytes\": %lld}\n",
               par.dir, par.meta.boot_ms, par.meta.save_ms, par.meta.state_size);
    else
        printf("parent of %s:%d ready in %s (QEMU %s, state %lld KiB)\n", v.name, v.version,
               par.dir, par.meta.qemu_version, par.meta.state_size / 1024);
    return 0;
}

const struct cmd_entry cmd_parent_build_entry = {
    "parent build", "TEMPLATE[:VERSION] [--force]",
    "boot a template version once and save it as the parent of its instant clones (kept if "
    "already built; --force rebuilds)",
    exec_parent_build};
