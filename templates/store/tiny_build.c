/* SPDX-License-Identifier: Apache-2.0 */
/* The tiny template: run templates/tiny/build.sh, import what it wrote. */
#include "tiny_build.h"
#include "err.h"
#include "files.h"

#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Where a build input is: an environment override, else the given tree, else (that tree is
 * gone: an installed deskpool) where `cmake --install` put it. */
static void locate(char *out, size_t cap, const char *env, const char *dir, const char *rel,
                   const char *installed)
{
    const char *e = getenv(env);
    if (e && *e) {
        snprintf(out, cap, "%s", e);
        return;
    }
    snprintf(out, cap, "%s/%s", dir, rel);
    if (access(out, F_OK) != 0)
        snprintf(out, cap, "%s", installed);
}

void tiny_build_locate(struct tiny_build_inputs *in, const char *source_dir, const char *binary_dir)
{
    locate(in->script, sizeof in->script, "DESKPOOL_TINY_SCRIPT", source_dir,
           "templates/tiny/build.sh", DESKPOOL_INSTALL_DATADIR "/tiny/build.sh");
    locate(in->guestd, sizeof in->guestd, "DESKPOOL_GUESTD", binary_dir,
           "templates/guest/guestd/deskpool-guestd",
           DESKPOOL_INSTALL_LIBEXECDIR "/deskpool-guestd");
    locate(in->desktop, sizeof in->desktop, "DESKPOOL_DESKTOP", binary_dir,
           "templates/guest/desktop/deskpool-desktop",
           DESKPOOL_INSTALL_LIBEXECDIR "/deskpool-desktop");
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
        dp_err_set(err, "the tiny template build failed (%s); its output on stderr says where",
                   argv[0]);
        return -1;
    }
    return 0;
}

int tiny_build(const char *state_dir, const struct tiny_build_inputs *in, struct tpl_version *v,
               int *with_desktop_out, struct dp_err *err)
{
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/cache/tiny", state_dir);
    if (access(in->script, X_OK) != 0 || access(in->guestd, X_OK) != 0) {
        dp_err_set(err, "build inputs missing (%s or %s); build the project first (cmake --build)",
                   in->script, in->guestd);
        return -1;
    }
    int with_desktop = access(in->desktop, X_OK) == 0;
    if (with_desktop_out)
        *with_desktop_out = with_desktop;
    if (dp_mkdirs(out, 0755, err) != 0)
        return -1;
    char script[PATH_MAX], guestd[PATH_MAX], desktop[PATH_MAX];
    snprintf(script, sizeof script, "%s", in->script);
    snprintf(guestd, sizeof guestd, "%s", in->guestd);
    snprintf(desktop, sizeof desktop, "%s", in->desktop);
    char *args[] = {script, out, guestd, with_desktop ? desktop : NULL, NULL};
    if (run_script(args, err) != 0)
        return -1;

    char meta_path[PATH_MAX + 16], base[PATH_MAX + 16], kernel[PATH_MAX + 16],
        initrd[PATH_MAX + 16];
    snprintf(meta_path, sizeof meta_path, "%s/meta.json", out);
    snprintf(base, sizeof base, "%s/base.qcow2", out);
    snprintf(kernel, sizeof kernel, "%s/vmlinuz", out);
    snprintf(initrd, sizeof initrd, "%s/initrd.img", out);
    json_t *meta = json_load_file(meta_path, 0, NULL);
    if (!json_is_object(meta)) {
        json_decref(meta);
        dp_err_set(err, "the tiny build wrote no valid %s; rerun it", meta_path);
        return -1;
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
    int rc = store_import(state_dir, "tiny", base, &o, v, err);
    json_decref(meta);
    return rc;
}
