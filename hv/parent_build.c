/* SPDX-License-Identifier: Apache-2.0 */
/* Building an instant-clone parent: boot, wait ready and idle, stop, save, verify, publish. */
#include "parent_build.h"

#include "err.h"
#include "files.h"
#include "hv.h"
#include "log.h"
#include "overlay.h"
#include "parent.h"
#include "proc.h"
#include "qmp.h"
#include "ready.h"
#include "spec_json.h"
#include "store.h"

#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOT_TIMEOUT_MS 120000
#define SAVE_TIMEOUT_MS 60000
/*
 * After the first X.224 answer the guest's desktop server still finishes the probes that
 * timed out while it booted (one forked process per connection). Saved in that state,
 * every clone would replay that work before answering its first client: ~1 s measured.
 * So the parent idles, is probed once more, and idles again before it is frozen.
 */
#define SETTLE_MS 1500

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A loopback port free right now (the parent's RDP forward, only used for its readiness). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* QMP migrate writes through `sh -c "cat > PATH"`: allow only characters sh takes as-is. */
static int shell_safe(const char *path, struct dp_err *err)
{
    for (const char *p = path; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-", *p)) {
            dp_err_set(err,
                       "state path %s has characters a shell would interpret; use a state "
                       "directory made of letters, digits, '/', '.', '_', '+' and '-'",
                       path);
            return -1;
        }
    }
    return 0;
}

/* The versioned machine type that "pc" stands for in this QEMU. */
static void resolved_machine(const char *qmp_sock, char *out, size_t cap)
{
    snprintf(out, cap, "pc");
    struct dp_err ignore = {0};
    json_t *r = qmp_call(qmp_sock, "query-machines", NULL, 3000, &ignore);
    size_t i;
    json_t *m;
    json_array_foreach(r, i, m)
    {
        const char *alias = json_string_value(json_object_get(m, "alias"));
        const char *name = json_string_value(json_object_get(m, "name"));
        if (alias && name && strcmp(alias, "pc") == 0)
            snprintf(out, cap, "%s", name);
    }
    json_decref(r);
}

/* stop, then migrate to file; returns ms or -1. */
static int save_state(const char *qmp_sock, const char *state, struct dp_err *err)
{
    uint64_t t0 = dp_now_ms();
    json_t *r = qmp_call(qmp_sock, "stop", NULL, 3000, err);
    if (!r)
        return -1;
    json_decref(r);
    json_t *caps =
        json_pack("{s:[{s:s, s:b}]}", "capabilities", "capability", "x-ignore-shared", "state", 1);
    if (!(r = qmp_call(qmp_sock, "migrate-set-capabilities", caps, 3000, err)))
        return -1;
    json_decref(r);
    char uri[PATH_MAX + 32];
    snprintf(uri, sizeof uri, "exec:cat > %s", state);
    if (!(r = qmp_call(qmp_sock, "migrate", json_pack("{s:s}", "uri", uri), 3000, err)))
        return -1;
    json_decref(r);
    while (dp_now_ms() - t0 < SAVE_TIMEOUT_MS) {
        if (!(r = qmp_call(qmp_sock, "query-migrate", NULL, 3000, err)))
            return -1;
        const char *st = json_string_value(json_object_get(r, "status"));
        if (st && strcmp(st, "completed") == 0) {
            json_decref(r);
            return (int)(dp_now_ms() - t0);
        }
        if (st && (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)) {
            const char *desc = json_string_value(json_object_get(r, "error-desc"));
            dp_err_set(err, "saving the VM state to %s failed (QEMU: %s); is the disk full?", state,
                       desc ? desc : st);
            json_decref(r);
            return -1;
        }
        json_decref(r);
        nap_ms(20);
    }
    dp_err_set(err, "saving the VM state to %s did not finish in %d s", state,
               SAVE_TIMEOUT_MS / 1000);
    return -1;
}

/* Flushes a finished file to disk and makes it read-only: nothing writes a parent again. */
static int seal(const char *path, struct dp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        dp_err_errno(err, "cannot flush %s to disk", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return chmod(path, 0444) == 0 ? 0 : (dp_err_errno(err, "cannot chmod %s", path), -1);
}

static int hash_into(const char *path, char sha[65], long long *size, struct dp_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0) {
        dp_err_errno(err, "%s is missing or empty after the save", path);
        return -1;
    }
    *size = (long long)st.st_size;
    return dp_sha256_file(path, sha, err);
}

static int fill_meta(struct hv *hv, const struct tpl_version *v, const struct hv_vm_spec *spec,
                     const struct hv_parent *tmp, struct hv_parent_meta *m, struct dp_err *err)
{
    snprintf(m->template_name, sizeof m->template_name, "%s", v->name);
    m->template_version = v->version;
    snprintf(m->template_sha256, sizeof m->template_sha256, "%s", v->sha256);
    const char *qv = hv_qemu_version(hv, err);
    if (!qv || parent_spec_abi(spec, m->abi, sizeof m->abi, err) != 0)
        return -1;
    snprintf(m->qemu_version, sizeof m->qemu_version, "%s", qv);
    parent_key(qv, m->abi, m->key);
    m->memory_mb = spec->memory_mb;
    m->vcpus = spec->vcpus;
    snprintf(m->mac, sizeof m->mac, "%s", spec->mac);
    m->created = (long long)time(NULL);
    struct stat st;
    if (hash_into(tmp->state, m->state_sha256, &m->state_size, err) != 0 ||
        hash_into(tmp->disk, m->disk_sha256, &m->disk_size, err) != 0 ||
        hash_into(tmp->ram, m->ram_sha256, &m->ram_size, err) != 0 || stat(tmp->ram, &st) != 0)
        return -1;
    m->ram_mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return 0;
}

/* Runs the parent VM to a saved state in tmp; the VM is gone afterwards, either way. */
static int run_and_save(struct hv *hv, struct hv_vm_spec *spec, const struct hv_parent *tmp,
                        struct hv_parent_meta *m, struct dp_err *err)
{
    struct hv_vm_paths p;
    struct dp_err ignore = {0};
    hv->ops->destroy(hv, spec->name, &ignore); /* a build that crashed before us */
    if (hv->ops->define(hv, spec, err) != 0 || hv->ops->paths(hv, spec->name, &p, err) != 0)
        return -1;
    int rc = -1;
    if (hv->ops->start(hv, spec->name, err) != 0)
        goto out;
    if ((m->boot_ms = hv_wait_ready(hv, spec->name, BOOT_TIMEOUT_MS, spec->has_rdp, err)) < 0)
        goto out;
    nap_ms(SETTLE_MS);
    if (hv_wait_ready(hv, spec->name, 10000, spec->has_rdp, err) < 0)
        goto out;
    nap_ms(SETTLE_MS);
    resolved_machine(p.qmp, m->machine, sizeof m->machine);
    int pid = proc_read_pidfile(p.pidfile);
    if ((m->save_ms = save_state(p.qmp, tmp->state, err)) < 0)
        goto out;
    json_t *r = qmp_call(p.qmp, "quit", NULL, 3000, &ignore);
    json_decref(r);
    if (proc_wait_gone(pid, 10000) != 0)
        kill(pid, SIGKILL);
    if (rename(p.disk, tmp->disk) != 0) {
        dp_err_errno(err, "cannot move the parent disk %s to %s", p.disk, tmp->disk);
        goto out;
    }
    rc = 0;
out:
    hv->ops->destroy(hv, spec->name, &ignore);
    return rc;
}

int parent_build(struct hv *hv, const struct tpl_version *v, struct hv_vm_spec *spec,
                 const char *dir, struct hv_parent *out, struct dp_err *err)
{
    char dcopy[PATH_MAX], tmpdir[PATH_MAX + 16];
    snprintf(dcopy, sizeof dcopy, "%s", dir);
    const char *leaf = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    snprintf(tmpdir, sizeof tmpdir, "%s/.build-%s", dirname(dcopy), leaf);
    struct hv_parent tmp;
    hv_parent_paths(tmpdir, &tmp);
    struct hv_parent final;
    hv_parent_paths(dir, &final);
    if (shell_safe(tmp.state, err) != 0 || dp_remove_tree(tmpdir, err) != 0 ||
        dp_mkdirs(tmpdir, 0750, err) != 0)
        return -1;
    log_info("building the instant-clone parent of %s:%d in %s", v->name, v->version, dir);
    snprintf(spec->mem_file, sizeof spec->mem_file, "%s", tmp.ram);
    spec->mem_shared = 1;
    spec->rdp_port = free_port();
    struct hv_parent_meta *m = &out->meta;
    memset(m, 0, sizeof *m);
    struct dp_err berr = {0};
    int ok = run_and_save(hv, spec, &tmp, m, &berr) == 0;
    /* What clones copy: the parent's spec with the published paths. */
    snprintf(spec->mem_file, sizeof spec->mem_file, "%s", final.ram);
    spec->rdp_port = 0;
    ok = ok && seal(tmp.state, &berr) == 0 && seal(tmp.ram, &berr) == 0 &&
         seal(tmp.disk, &berr) == 0 && overlay_check_chain(hv->qemu_img, tmp.disk, &berr) == 0 &&
         fill_meta(hv, v, spec, &tmp, m, &berr) == 0 && hv_spec_save(spec, tmp.spec, &berr) == 0 &&
         parent_meta_save(m, tmp.meta_path, &berr) == 0;
    if (ok && rename(tmpdir, dir) != 0) {
        dp_err_errno(&berr, "cannot publish parent %s", dir);
        ok = 0;
    }
    if (!ok) {
        dp_remove_tree(tmpdir, NULL);
        dp_err_set(err, "building the instant-clone parent of %s:%d failed: %s; nothing was kept",
                   v->name, v->version, dp_err_msg(&berr));
        return -1;
    }
    log_info("parent %s saved: boot %d ms, save %d ms, state %lld bytes", dir, m->boot_ms,
             m->save_ms, m->state_size);
    struct hv_parent_meta keep = *m;
    hv_parent_paths(dir, out);
    out->meta = keep;
    return 0;
}
