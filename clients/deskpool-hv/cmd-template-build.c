/* SPDX-License-Identifier: Apache-2.0 */
/* template build tiny: runs templates/tiny/build.sh, then imports its output as a version. */
#include "cmd.h"
#include "files.h"
#include "store.h"

#include <jansson.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Where a build input is: an environment override, else the build tree. */
static void locate(char *out, size_t cap, const char *env, const char *fallback)
{
    const char *e = getenv(env);
    snprintf(out, cap, "%s", e && *e ? e : fallback);
}

static int run_script(char *const argv[], struct dp_err *err)
{
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        dp_err_set(err, "cannot run %s (error %d)", argv[0], rc);
        return -1;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        dp_err_set(err, "the tiny template build failed (%s); its output above says where",
                   argv[0]);
        return -1;
    }
    return 0;
}

static int exec_template_build(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_template_build_entry;
    if (argc != 2 || strcmp(argv[1], "tiny") != 0)
        return cmd_usage(&cmd_template_build_entry);
    struct dp_err err = {0};
    char script[PATH_MAX], guestd[PATH_MAX], desktop[PATH_MAX], out[PATH_MAX];
    locate(script, sizeof script, "DESKPOOL_TINY_SCRIPT",
           DESKPOOL_SOURCE_DIR "/templates/tiny/build.sh");
    locate(guestd, sizeof guestd, "DESKPOOL_GUESTD",
           DESKPOOL_BINARY_DIR "/templates/guest/guestd/deskpool-guestd");
    locate(desktop, sizeof desktop, "DESKPOOL_DESKTOP",
           DESKPOOL_BINARY_DIR "/templates/guest/desktop/deskpool-desktop");
    snprintf(out, sizeof out, "%s/cache/tiny", ctx->hv->state_dir);
    if (access(script, X_OK) != 0 || access(guestd, X_OK) != 0) {
        dp_err_set(&err, "build inputs missing (%s or %s); build the project first (cmake --build)",
                   script, guestd);
        return cmd_fail(&err);
    }
    int with_desktop = access(desktop, X_OK) == 0;
    if (dp_mkdirs(out, 0755, &err) != 0)
        return cmd_fail(&err);
    char *args[] = {script, out, guestd, with_desktop ? desktop : NULL, NULL};
    if (run_script(args, &err) != 0)
        return cmd_fail(&err);

    char meta_path[PATH_MAX + 16], base[PATH_MAX + 16], kernel[PATH_MAX + 16],
        initrd[PATH_MAX + 16];
    snprintf(meta_path, sizeof meta_path, "%s/meta.json", out);
    snprintf(base, sizeof base, "%s/base.qcow2", out);
    snprintf(kernel, sizeof kernel, "%s/vmlinuz", out);
    snprintf(initrd, sizeof initrd, "%s/initrd.img", out);
    json_t *meta = json_load_file(meta_path, 0, NULL);
    if (!json_is_object(meta)) {
        json_decref(meta);
        dp_err_set(&err, "the tiny build wrote no valid %s; rerun it", meta_path);
        return cmd_fail(&err);
    }
    struct tpl_import_opts o = {
        .kernel = kernel,
        .initrd = initrd,
        .append = json_string_value(json_object_get(meta, "append")),
        .memory_mb = (int)json_integer_value(json_object_get(meta, "memory_mb")),
        .vcpus = (int)json_integer_value(json_object_get(meta, "vcpus")),
        .has_rdp = with_desktop,
        .reuse_same = 1,
    };
    struct tpl_version v;
    int rc = store_import(ctx->hv->state_dir, "tiny", base, &o, &v, &err);
    json_decref(meta);
    if (rc != 0)
        return cmd_fail(&err);
    printf("template tiny:%d ready (%s)%s\n", v.version, v.base,
           with_desktop ? "" : " -- without the RDP desktop (deskpool-desktop not built)");
    return 0;
}

const struct cmd_entry cmd_template_build_entry = {
    "template build", "tiny",
    "build the tiny demo template from Debian packages (cached) and store it as a version",
    exec_template_build};
