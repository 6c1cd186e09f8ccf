/* SPDX-License-Identifier: Apache-2.0 */
#include "cmd.h"
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int exec_template_list(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_template_list_entry;
    if (argc != 1)
        return cmd_usage(&cmd_template_list_entry);
    struct dp_err err = {0};
    struct tpl_version *v;
    size_t n;
    if (store_list(ctx->hv->state_dir, &v, &n, &err) != 0)
        return cmd_fail(&err);
    json_t *arr = json_array();
    if (!ctx->json)
        printf("%-16s %7s %6s %5s %4s %-20s %s\n", "TEMPLATE", "VERSION", "MEMORY", "VCPUS", "RDP",
               "CREATED", "SHA256");
    for (size_t i = 0; i < n; i++) {
        char when[32];
        time_t t = (time_t)v[i].created;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime(&t));
        if (ctx->json)
            json_array_append_new(arr, json_pack("{s:s,s:i,s:i,s:i,s:b,s:I,s:s,s:s}", "name",
                                                 v[i].name, "version", v[i].version, "memory_mb",
                                                 v[i].memory_mb, "vcpus", v[i].vcpus, "has_rdp",
                                                 v[i].has_rdp, "created", (json_int_t)v[i].created,
                                                 "sha256", v[i].sha256, "base", v[i].base));
        else
            printf("%-16s %7d %6d %5d %4s %-20s %.16s\n", v[i].name, v[i].version, v[i].memory_mb,
                   v[i].vcpus, v[i].has_rdp ? "yes" : "no", when, v[i].sha256);
    }
    if (ctx->json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        puts(s);
        free(s);
    }
    json_decref(arr);
    free(v);
    return 0;
}

const struct cmd_entry cmd_template_list_entry = {
    "template list", "", "list templates and their versions", exec_template_list};
