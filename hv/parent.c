/* SPDX-License-Identifier: Apache-2.0 */
/* Finding, checking and listing instant-clone parents; building one is parent_build.c. */
#include "parent.h"

#include "err.h"
#include "files.h"
#include "hv.h"
#include "log.h"
#include "parent_build.h"
#include "parent_gc.h"
#include "qemu_argv.h"
#include "spec_json.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void hv_parent_paths(const char *dir, struct hv_parent *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    snprintf(out->disk, sizeof out->disk, "%s/disk.qcow2", dir);
    snprintf(out->ram, sizeof out->ram, "%s/ram", dir);
    snprintf(out->state, sizeof out->state, "%s/state", dir);
    snprintf(out->spec, sizeof out->spec, "%s/spec.json", dir);
    snprintf(out->meta_path, sizeof out->meta_path, "%s/meta.json", dir);
}

int parent_spec_abi(const struct hv_vm_spec *spec, char *abi, size_t cap, struct dp_err *err)
{
    struct hv_vm_paths p;
    memset(&p, 0, sizeof p);
    /* Placeholders: parent_abi() drops every host path. */
    snprintf(p.dir, sizeof p.dir, "/vm");
    snprintf(p.disk, sizeof p.disk, "/vm/disk.qcow2");
    snprintf(p.qmp, sizeof p.qmp, "/vm/qmp.sock");
    snprintf(p.qga, sizeof p.qga, "/vm/qga.sock");
    snprintf(p.serial, sizeof p.serial, "/vm/serial.log");
    snprintf(p.pidfile, sizeof p.pidfile, "/vm/qemu.pid");
    struct qemu_argv *a = malloc(sizeof *a);
    enum hv_accel accel = hv_accel_resolve(spec->accel, "/proc/cpuinfo", "/dev/kvm");
    int rc = -1;
    if (a && qemu_argv_build(a, "qemu", spec, &p, accel, err) == 0) {
        rc = parent_abi(a, abi, cap);
        if (rc != 0)
            dp_err_set(err, "VM %s: command line too long to compare", spec->name);
    }
    free(a);
    return rc;
}

int parent_spec_for(const struct tpl_version *v, struct hv_vm_spec *spec, struct dp_err *err)
{
    hv_spec_init(spec);
    int n = snprintf(spec->name, sizeof spec->name, "parent-%s-%d", v->name, v->version);
    if (n < 0 || (size_t)n >= sizeof spec->name || !hv_name_valid(spec->name)) {
        dp_err_set(err, "template name %s is too long for a parent VM name; use a shorter name",
                   v->name);
        return -1;
    }
    snprintf(spec->base, sizeof spec->base, "%s", v->base);
    snprintf(spec->kernel, sizeof spec->kernel, "%s", v->kernel);
    snprintf(spec->initrd, sizeof spec->initrd, "%s", v->initrd);
    snprintf(spec->append, sizeof spec->append, "%s", v->append);
    spec->memory_mb = v->memory_mb ? v->memory_mb : 256;
    spec->vcpus = v->vcpus ? v->vcpus : 1;
    spec->has_rdp = v->has_rdp;
    qemu_mac_for(spec->name, spec->mac);
    /* Set here so the guest ABI (and so the key) has the RAM backend; the build moves it. */
    snprintf(spec->mem_file, sizeof spec->mem_file, "/parent/ram");
    spec->mem_shared = 1;
    return 0;
}

int hv_parent_dir_for(struct hv *hv, const struct tpl_version *v, struct hv_vm_spec *spec,
                      char *dir, size_t cap, struct dp_err *err)
{
    const char *qv = hv_qemu_version(hv, err);
    char *abi = malloc(PARENT_ABI_MAX);
    if (!qv || !abi || parent_spec_for(v, spec, err) != 0 ||
        parent_spec_abi(spec, abi, PARENT_ABI_MAX, err) != 0) {
        free(abi);
        return -1;
    }
    char key[17];
    parent_key(qv, abi, key);
    free(abi);
    snprintf(dir, cap, "%s/parents/%s-%d-%s", hv->state_dir, v->name, v->version, key);
    return 0;
}

static int file_matches(const char *path, long long size, long long mtime_ns, char *why, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, cap, "%s is missing", path);
        return 0;
    }
    if ((long long)st.st_size != size) {
        snprintf(why, cap, "%s has %lld bytes, %lld when saved (truncated or changed)", path,
                 (long long)st.st_size, size);
        return 0;
    }
    long long m = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    if (mtime_ns && m != mtime_ns) {
        snprintf(why, cap, "%s was modified after the parent was saved", path);
        return 0;
    }
    return 1;
}

static int hash_matches(const char *path, const char *want, char *why, size_t cap)
{
    char got[65];
    struct dp_err herr = {0};
    if (dp_sha256_file(path, got, &herr) != 0) {
        snprintf(why, cap, "%s", dp_err_msg(&herr));
        return 0;
    }
    if (strcmp(got, want) != 0) {
        snprintf(why, cap, "%s is corrupt (sha256 %.12s..., saved as %.12s...)", path, got, want);
        return 0;
    }
    return 1;
}

int hv_parent_check(struct hv *hv, const char *dir, const struct hv_vm_spec *clone, int full,
                    struct hv_parent *out, struct dp_err *err)
{
    hv_parent_paths(dir, out);
    if (!dp_path_exists(dir)) {
        dp_err_set(err, "parent %s is missing", dir);
        return -1;
    }
    if (parent_meta_load(&out->meta, out->meta_path, err) != 0)
        return -1;
    const struct hv_parent_meta *m = &out->meta;
    char why[1024];
    /* The state is small (~1 MB): hash it every time. The RAM file is hundreds of MB, so a
     * clone checks its size and mtime; full (parent build, parent list --verify) hashes. */
    int ok = file_matches(out->state, m->state_size, 0, why, sizeof why) &&
             hash_matches(out->state, m->state_sha256, why, sizeof why) &&
             file_matches(out->ram, m->ram_size, m->ram_mtime_ns, why, sizeof why) &&
             file_matches(out->disk, m->disk_size, 0, why, sizeof why) &&
             (!full || (hash_matches(out->ram, m->ram_sha256, why, sizeof why) &&
                        hash_matches(out->disk, m->disk_sha256, why, sizeof why)));
    if (!ok) {
        dp_err_set(err, "%s", why);
        return -1;
    }
    const char *qv = hv_qemu_version(hv, err);
    if (!qv)
        return -1;
    struct hv_vm_spec self;
    if (!clone) {
        if (hv_spec_load(&self, out->spec, err) != 0)
            return -1;
        clone = &self;
    }
    char *abi = malloc(PARENT_ABI_MAX);
    if (!abi || parent_spec_abi(clone, abi, PARENT_ABI_MAX, err) != 0) {
        free(abi);
        return -1;
    }
    ok = parent_compat(m, qv, abi, why, sizeof why);
    free(abi);
    if (!ok) {
        dp_err_set(err, "%s", why);
        return -1;
    }
    return 0;
}

int hv_parent_find(struct hv *hv, const struct tpl_version *v, struct hv_parent *out,
                   struct dp_err *err)
{
    struct hv_vm_spec spec;
    char dir[PATH_MAX];
    if (hv_parent_dir_for(hv, v, &spec, dir, sizeof dir, err) != 0)
        return -1;
    if (!dp_path_exists(dir)) {
        dp_err_set(err,
                   "template %s:%d has no instant-clone parent for QEMU %s; build one: "
                   "deskpool-hv parent build %s:%d",
                   v->name, v->version, hv->qemu_version, v->name, v->version);
        return -1;
    }
    struct dp_err cerr = {0};
    if (hv_parent_check(hv, dir, NULL, 0, out, &cerr) != 0) {
        dp_err_set(err,
                   "the instant-clone parent of %s:%d is damaged (%s); rebuild it once no VM "
                   "uses it: deskpool-hv parent build --force %s:%d",
                   v->name, v->version, dp_err_msg(&cerr), v->name, v->version);
        return -1;
    }
    return 0;
}

/* One builder per template version at a time: the lock is held until this process ends or
 * the fd is closed. */
static int lock_version(struct hv *hv, const struct tpl_version *v, struct dp_err *err)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/parents/.lock-%s-%d", hv->state_dir, v->name, v->version);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        dp_err_errno(err, "cannot lock %s", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int hv_parent_build_abandoned(struct hv *hv, const char *name)
{
    static const char prefix[] = "parent-";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return 0;
    /* The build VM is named parent-NAME-VERSION and its builder holds .lock-NAME-VERSION
     * (lock_version) from before the VM exists until after it is destroyed. flock locks
     * belong to the open file, so this probe conflicts with a build in this process too. */
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/parents/.lock-%s", hv->state_dir, name + sizeof prefix - 1);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT; /* never locked: no build made this VM */
    int free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd); /* also releases the probe's lock */
    return free_lock;
}

int hv_parent_ensure(struct hv *hv, const struct tpl_version *v, int force, struct hv_parent *out,
                     struct dp_err *err)
{
    char parents[PATH_MAX + 16];
    snprintf(parents, sizeof parents, "%s/parents", hv->state_dir);
    if (dp_mkdirs(parents, 0750, err) != 0)
        return -1;
    int lock = lock_version(hv, v, err);
    if (lock < 0)
        return -1;
    struct hv_vm_spec spec;
    char dir[PATH_MAX];
    int rc = -1;
    if (hv_parent_dir_for(hv, v, &spec, dir, sizeof dir, err) != 0)
        goto out;
    if (dp_path_exists(dir) && force) {
        log_warn("removing parent %s to build it again (--force)", dir);
        if (dp_remove_tree(dir, err) != 0)
            goto out;
    }
    if (dp_path_exists(dir)) {
        rc = hv_parent_find(hv, v, out, err);
        goto out;
    }
    rc = parent_build(hv, v, &spec, dir, out, err);
    if (rc == 0) {
        /* The new parent replaces any of this version under an older key (QEMU upgrade, new
         * VM hardware) once no clone uses that one: without this, each would keep its RAM
         * file (the guest's memory size) on disk for ever. */
        struct dp_err gerr = {0};
        size_t gone = 0;
        if (hv_parent_gc(hv, v, 1, 1, 0, 0, NULL, &gone, &gerr) != 0)
            log_warn("after building %s: %s", dir, dp_err_msg(&gerr));
    }
out:
    close(lock);
    return rc;
}

/* How many VMs' specs restore from a parent folder (their disks chain on its disk). */
int hv_parent_users(struct hv *hv, const char *dir)
{
    char vms[PATH_MAX + 8];
    snprintf(vms, sizeof vms, "%s/vms", hv->state_dir);
    DIR *d = opendir(vms);
    if (!d)
        return 0;
    int n = 0;
    size_t len = strlen(dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!hv_name_valid(de->d_name))
            continue;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s/spec.json", vms, de->d_name);
        struct hv_vm_spec s;
        struct dp_err ignore = {0};
        if (hv_spec_load(&s, path, &ignore) == 0 &&
            (strncmp(s.base, dir, len) == 0 && s.base[len] == '/'))
            n++;
    }
    closedir(d);
    return n;
}

int hv_parent_list(struct hv *hv, struct hv_parent **out, int **in_use, size_t *n,
                   struct dp_err *err)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/parents", hv->state_dir);
    *out = NULL;
    *in_use = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : (dp_err_errno(err, "cannot list %s", dir), -1);
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') /* dot-folders are builds in progress or abandoned */
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct hv_parent *grown = realloc(*out, cap * sizeof **out);
            int *ugrown = realloc(*in_use, cap * sizeof **in_use);
            if (grown)
                *out = grown;
            if (ugrown)
                *in_use = ugrown;
            if (!grown || !ugrown) {
                dp_err_set(err, "out of memory listing parents");
                rc = -1;
                break;
            }
        }
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        hv_parent_paths(path, &(*out)[*n]);
        struct dp_err ignore = {0};
        if (parent_meta_load(&(*out)[*n].meta, (*out)[*n].meta_path, &ignore) != 0)
            continue;
        (*in_use)[*n] = hv_parent_users(hv, path);
        (*n)++;
    }
    closedir(d);
    return rc;
}
