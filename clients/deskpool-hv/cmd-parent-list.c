/* SPDX-License-Identifier: Apache-2.0 */
/* parent list [--verify]: instant-clone parents, the VMs cloned from each, whether usable. */
#include "cmd.h"
#include "parent.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_parent_list(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_parent_list_entry;
    static const struct option opts[] = {{"verify", 0, 0, 'v'}, {0, 0, 0, 0}};
    int full = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'v')
            return cmd_usage(&cmd_parent_list_entry);
        full = 1;
    }
    if (argc != optind)
        return cmd_usage(&cmd_parent_list_entry);
    struct dp_err err = {0};
    struct hv_parent *ps;
    int *users;
    size_t n;
    if (hv_parent_list(ctx->hv, &ps, &users, &n, &err) != 0)
        return cmd_fail(&err);
    json_t *arr = json_array();
    if (!ctx->json)
        printf("%-12s %7s %-10s %6s %9s %5s  %s\n", "TEMPLATE", "VERSION", "QEMU", "MEMORY",
               "STATE_KiB", "VMS", "STATUS");
    for (size_t i = 0; i < n; i++) {
        const struct hv_parent_meta *m = &ps[i].meta;
        struct hv_parent chk;
        struct dp_err cerr = {0};
        int ok = hv_parent_check(ctx->hv, ps[i].dir, NULL, full, &chk, &cerr) == 0;
        if (ctx->json)
            json_array_append_new(
                arr, json_pack("{s:s,s:i,s:s,s:s,s:i,s:I,s:i,s:b,s:s,s:i,s:i}", "template",
                               m->template_name, "version", m->template_version, "dir", ps[i].dir,
                               "qemu_version", m->qemu_version, "memory_mb", m->memory_mb,
                               "state_bytes", (json_int_t)m->state_size, "vms", users[i], "usable",
                               ok, "problem", ok ? "" : dp_err_msg(&cerr), "boot_ms", m->boot_ms,
                               "save_ms", m->save_ms));
        else
            printf("%-12s %7d %-10s %6d %9lld %5d  %s\n", m->template_name, m->template_version,
                   m->qemu_version, m->memory_mb, m->state_size / 1024, users[i],
                   ok ? "usable" : dp_err_msg(&cerr));
    }
    if (ctx->json) {
        char *t = json_dumps(arr, JSON_INDENT(2));
        puts(t);
        free(t);
    }
    json_decref(arr);
    free(ps);
    free(users);
    return 0;
}

const struct cmd_entry cmd_parent_list_entry = {
    "parent list", "[--verify]",
    "instant-clone parents, how many VMs use each and whether clones can restore from it "
    "(--verify also hashes the disk and RAM files)",
    exec_parent_list};
