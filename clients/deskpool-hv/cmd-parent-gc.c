/* SPDX-License-Identifier: Apache-2.0 */
/* parent gc [--all-unused] [--dry-run]: removes instant-clone parents nobody needs. */
#include "cmd.h"
#include "parent_gc.h"
#include "store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int exec_parent_gc(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_parent_gc_entry;
    static const struct option opts[] = {
        {"all-unused", 0, 0, 'a'}, {"dry-run", 0, 0, 'n'}, {0, 0, 0, 0}};
    int all_unused = 0, dry_run = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'a')
            all_unused = 1;
        else if (c == 'n')
            dry_run = 1;
        else
            return cmd_usage(&cmd_parent_gc_entry);
    }
    if (argc != optind)
        return cmd_usage(&cmd_parent_gc_entry);
    struct dp_err err = {0};
    struct tpl_version *live = NULL;
    size_t n_live = 0;
    if (store_list(ctx->hv->state_dir, &live, &n_live, &err) != 0)
        return cmd_fail(&err);
    struct parent_gc_removed *rm = NULL;
    size_t n = 0;
    int rc = hv_parent_gc(ctx->hv, live, n_live, 0, all_unused, dry_run, &rm, &n, &err);
    free(live);
    long long total = 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        total += rm[i].bytes;
        if (ctx->json)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "dir", rm[i].dir, "reason",
                                                 parent_gc_why_name(rm[i].why), "bytes",
                                                 (json_int_t)rm[i].bytes));
        else
            printf("%s %s (%lld MiB): %s\n", dry_run ? "would remove" : "removed", rm[i].dir,
                   rm[i].bytes >> 20, parent_gc_why_name(rm[i].why));
    }
    if (ctx->json) {
        char *t = json_dumps(json_pack("{s:o,s:I,s:b}", "removed", arr, "bytes", (json_int_t)total,
                                       "dry_run", dry_run),
                             JSON_INDENT(2));
        puts(t);
        free(t);
    } else {
        json_decref(arr);
        printf("%zu parent(s), %lld MiB %s\n", n, total >> 20, dry_run ? "to free" : "freed");
    }
    free(rm);
    return rc == 0 ? 0 : cmd_fail(&err);
}

const struct cmd_entry cmd_parent_gc_entry = {
    "parent gc", "[--all-unused] [--dry-run]",
    "removes instant-clone parents no VM uses and no clone can pick (superseded by a newer "
    "QEMU or VM hardware, or of a deleted template version); --all-unused also those merely "
    "unused (rebuilt on the next instant clone)",
    exec_parent_gc};
