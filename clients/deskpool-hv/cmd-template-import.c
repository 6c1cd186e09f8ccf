/* SPDX-License-Identifier: Apache-2.0 */
/* template import NAME IMAGE: any qemu-img readable disk becomes a new read-only version. */
#include "cmd.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_template_import(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_template_import_entry;
    static const struct option opts[] = {
        {"kernel", 1, 0, 'k'}, {"initrd", 1, 0, 'i'}, {"append", 1, 0, 'a'}, {"memory", 1, 0, 'm'},
        {"vcpus", 1, 0, 'c'},  {"rdp", 0, 0, 'r'},    {0, 0, 0, 0}};
    struct tpl_import_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            o.kernel = optarg;
            break;
        case 'i':
            o.initrd = optarg;
            break;
        case 'a':
            o.append = optarg;
            break;
        case 'm':
            o.memory_mb = atoi(optarg);
            break;
        case 'c':
            o.vcpus = atoi(optarg);
            break;
        case 'r':
            o.has_rdp = 1;
            break;
        default:
            return cmd_usage(&cmd_template_import_entry);
        }
    }
    if (argc - optind != 2)
        return cmd_usage(&cmd_template_import_entry);
    struct dp_err err = {0};
    struct tpl_version v;
    if (store_import(ctx->hv->state_dir, argv[optind], argv[optind + 1], &o, &v, &err) != 0)
        return cmd_fail(&err);
    printf("template %s:%d imported (%s, sha256 %s)\n", v.name, v.version, v.base, v.sha256);
    return 0;
}

const struct cmd_entry cmd_template_import_entry = {
    "template import",
    "NAME IMAGE [--kernel F --initrd F --append S] [--memory MB] [--vcpus N] [--rdp]",
    "import a qcow2/raw/vmdk/vhd/vhdx image as a new version (the source is only read)",
    exec_template_import};
