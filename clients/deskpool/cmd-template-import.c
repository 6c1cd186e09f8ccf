/* SPDX-License-Identifier: Apache-2.0 */
/* template import NAME IMAGE: a disk image on this host becomes a new template version. */
#include "cmds.h"
#include "cli_progress.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_TIMEOUT_MS (30 * 60 * 1000) /* converting a big image takes a while */

/* deskpoold runs elsewhere in the file system (its own working directory): send absolute
 * paths, and catch a typo here rather than in the daemon's log. */
static int add_path(struct cli_ctx *ctx, json_t *body, const char *key, const char *path)
{
    char abs[PATH_MAX];
    if (!path)
        return CLI_OK;
    if (!realpath(path, abs)) {
        fprintf(ctx->err, "deskpool: cannot use %s as the template's %s: %s; check the path\n",
                path, key, strerror(errno));
        return CLI_API_ERROR;
    }
    json_object_set_new(body, key, json_string(abs));
    return CLI_OK;
}

static int exec_template_import(struct cli_ctx *ctx, const struct cli_args *a)
{
    long memory = 0, vcpus = 0;
    int has_mem, has_cpu;
    if (cli_arg_int(ctx, a, "--memory", 64, 1024 * 1024, &memory, &has_mem) != 0 ||
        cli_arg_int(ctx, a, "--vcpus", 1, 256, &vcpus, &has_cpu) != 0)
        return CLI_USAGE;
    json_t *body = json_pack("{s:s}", "name", a->argv[0]);
    int rc = add_path(ctx, body, "image", a->argv[1]);
    if (rc == CLI_OK)
        rc = add_path(ctx, body, "kernel", cli_arg(a, "--kernel"));
    if (rc == CLI_OK)
        rc = add_path(ctx, body, "initrd", cli_arg(a, "--initrd"));
    if (rc != CLI_OK) {
        json_decref(body);
        return rc;
    }
    if (cli_arg(a, "--append"))
        json_object_set_new(body, "append", json_string(cli_arg(a, "--append")));
    if (has_mem)
        json_object_set_new(body, "memory_mb", json_integer(memory));
    if (has_cpu)
        json_object_set_new(body, "vcpus", json_integer(vcpus));
    if (cli_arg(a, "--rdp"))
        json_object_set_new(body, "has_rdp", json_true());

    struct cli_progress p;
    progress_start(&p, ctx->out, ctx->interactive && !ctx->json, "importing template image");
    json_t *tpl = NULL;
    int timeout = ctx->timeout_ms > IMPORT_TIMEOUT_MS ? ctx->timeout_ms : IMPORT_TIMEOUT_MS;
    rc = cli_api_ex(ctx, "POST", "/templates", body, timeout, progress_tick, &p, &tpl, NULL);
    progress_end(&p);
    json_decref(body);
    if (rc == CLI_OK) {
        char line[512];
        template_describe(tpl, line, sizeof line);
        if (ctx->json)
            cli_print_json_ok(ctx, tpl);
        else
            fprintf(ctx->out, "%s\n", line);
    }
    json_decref(tpl);
    return rc;
}

static const struct cli_opt opts[] = {{"--kernel", 1}, {"--initrd", 1}, {"--append", 1},
                                      {"--memory", 1}, {"--vcpus", 1},  {"--rdp", 0},
                                      {NULL, 0}};

const struct cli_cmd cmd_template_import = {
    .name = "template import",
    .usage = "NAME IMAGE [--kernel PATH] [--initrd PATH] [--append ARGS] [--memory MB] "
             "[--vcpus N] [--rdp]",
    .help = "store a disk image (qcow2, raw, vmdk, vhd, vhdx) as a new version of template NAME",
    .more = "  IMAGE          a file on the broker's host; it is only read\n"
            "  --kernel PATH  boot this kernel directly (with --initrd, --append)\n"
            "  --memory MB    memory of VMs made from it, --vcpus N their CPUs\n"
            "  --rdp          the image runs an RDP server on port 3389 (desktops need one)\n",
    .opts = opts,
    .min_args = 2,
    .max_args = 2,
    .exec = exec_template_import,
};
