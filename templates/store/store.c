/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include "err.h"
#include "files.h"
#include "hv.h"
#include "overlay.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *qemu_img(void)
{
    return "qemu-img";
}

int store_parse_ref(const char *ref, char *name, size_t cap, int *version)
{
    const char *colon = strchr(ref, ':');
    size_t n = colon ? (size_t)(colon - ref) : strlen(ref);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(name, ref, n);
    name[n] = '\0';
    *version = 0;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v < 1 || v > 1000000)
            return -1;
        *version = (int)v;
    }
    return hv_name_valid(name) ? 0 : -1;
}

/* A file of the version's folder named in meta.json: a plain name, so it cannot lead out. */
static int plain_file_name(const char *s)
{
    return strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int is_hex(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789abcdefABCDEF") == n;
}

int store_meta_parse(const char *text, size_t len, const char *dir, struct tpl_version *v,
                     struct dp_err *err)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!json_is_object(o)) {
        dp_err_set(err, "template metadata %s is corrupt (%s); re-import the template", path,
                   o ? "not a JSON object" : je.text);
        json_decref(o);
        return -1;
    }
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    const char *src = json_string_value(json_object_get(o, "source_sha256"));
    const char *append = json_string_value(json_object_get(o, "append"));
    const char *kernel = json_string_value(json_object_get(o, "kernel"));
    const char *initrd = json_string_value(json_object_get(o, "initrd"));
    json_int_t mem = json_integer_value(json_object_get(o, "memory_mb"));
    json_int_t cpus = json_integer_value(json_object_get(o, "vcpus"));
    const char *why = NULL;
    if (!name || !hv_name_valid(name) || strlen(name) >= sizeof v->name)
        why = "lacks a valid name";
    else if (!sha || !is_hex(sha, 64))
        why = "lacks the sha256 of its base image (64 hex digits)";
    else if (src && *src && !is_hex(src, 64))
        why = "has a source_sha256 that is not 64 hex digits";
    else if ((kernel && !plain_file_name(kernel)) || (initrd && !plain_file_name(initrd)))
        why = "names a kernel or initrd outside its folder";
    else if ((append && strlen(append) >= sizeof v->append) ||
             (kernel && strlen(kernel) >= sizeof v->kernel - strlen(dir) - 1) ||
             (initrd && strlen(initrd) >= sizeof v->initrd - strlen(dir) - 1))
        why = "has a value too long to use";
    else if (mem < 0 || mem > (1 << 20) || cpus < 0 || cpus > 256)
        why = "has memory_mb or vcpus out of range";
    if (why) {
        dp_err_set(err, "template metadata %s %s; re-import the template", path, why);
        json_decref(o);
        return -1;
    }
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(v->dir, sizeof v->dir, "%s", dir);
    snprintf(v->base, sizeof v->base, "%s/base.qcow2", dir);
    if (kernel && *kernel)
        snprintf(v->kernel, sizeof v->kernel, "%s/%s", dir, kernel);
    if (initrd && *initrd)
        snprintf(v->initrd, sizeof v->initrd, "%s/%s", dir, initrd);
    snprintf(v->append, sizeof v->append, "%s", append ? append : "");
    snprintf(v->sha256, sizeof v->sha256, "%s", sha);
    snprintf(v->source_sha256, sizeof v->source_sha256, "%s", src ? src : "");
    v->version = (int)json_integer_value(json_object_get(o, "version"));
    v->memory_mb = (int)mem;
    v->vcpus = (int)cpus;
    v->has_rdp = json_is_true(json_object_get(o, "has_rdp"));
    v->size = json_integer_value(json_object_get(o, "size"));
    v->created = json_integer_value(json_object_get(o, "created"));
    json_decref(o);
    return 0;
}

static int load_meta(const char *dir, struct tpl_version *v, struct dp_err *err)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    size_t len;
    struct dp_err rerr = {0};
    char *text = dp_read_file(path, STORE_META_MAX, &len, &rerr);
    if (!text) {
        dp_err_set(err, "template metadata %s is missing or corrupt (%s); re-import the template",
                   path, dp_err_msg(&rerr));
        return -1;
    }
    int rc = store_meta_parse(text, len, dir, v, err);
    free(text);
    return rc;
}

/* Cheap integrity check used on every lookup: files present, base size as recorded. */
static int check_files(const struct tpl_version *v, struct dp_err *err)
{
    struct stat st;
    if (stat(v->base, &st) != 0) {
        dp_err_errno(err, "template %s:%d: base image %s is missing; re-import the template",
                     v->name, v->version, v->base);
        return -1;
    }
    if ((long long)st.st_size != v->size) {
        dp_err_set(err,
                   "template %s:%d: base image %s is %lld bytes, expected %lld (truncated or "
                   "replaced); re-import the template",
                   v->name, v->version, v->base, (long long)st.st_size, v->size);
        return -1;
    }
    const char *files[] = {v->kernel, v->initrd};
    for (int i = 0; i < 2; i++) {
        if (files[i][0] && access(files[i], R_OK) != 0) {
            dp_err_errno(err, "template %s:%d: %s is missing; re-import the template", v->name,
                         v->version, files[i]);
            return -1;
        }
    }
    return 0;
}

/* Highest version number present for a template, 0 if none. */
static int latest_version(const char *tdir)
{
    DIR *d = opendir(tdir);
    if (!d)
        return 0;
    int best = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (*end == '\0' && v > best && v < 1000000)
            best = (int)v;
    }
    closedir(d);
    return best;
}

int store_get(const char *state_dir, const char *name, int version, struct tpl_version *out,
              struct dp_err *err)
{
    char tdir[PATH_MAX];
    snprintf(tdir, sizeof tdir, "%s/templates/%s", state_dir, name);
    if (!hv_name_valid(name) || !dp_path_exists(tdir)) {
        dp_err_set(err,
                   "no template named \"%s\"; build or import one (deskpool-hv template build "
                   "tiny, or deskpool-hv template import %s IMAGE)",
                   name, name);
        return -1;
    }
    if (version == 0)
        version = latest_version(tdir);
    char vdir[PATH_MAX + 16];
    snprintf(vdir, sizeof vdir, "%s/%d", tdir, version);
    if (version == 0 || !dp_path_exists(vdir)) {
        dp_err_set(err, "template \"%s\" has no version %d; see deskpool-hv template list", name,
                   version);
        return -1;
    }
    if (load_meta(vdir, out, err) != 0)
        return -1;
    out->version = version;
    return check_files(out, err);
}

static int cmp_version(const void *a, const void *b)
{
    const struct tpl_version *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->version - y->version;
}

int store_list(const char *state_dir, struct tpl_version **out, size_t *n, struct dp_err *err)
{
    char root[PATH_MAX + 16];
    snprintf(root, sizeof root, "%s/templates", state_dir);
    *out = NULL;
    *n = 0;
    DIR *d = opendir(root);
    if (!d)
        return errno == ENOENT ? 0 : (dp_err_errno(err, "cannot list %s", root), -1);
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!hv_name_valid(de->d_name))
            continue;
        char tdir[PATH_MAX * 2];
        snprintf(tdir, sizeof tdir, "%s/%s", root, de->d_name);
        DIR *vd = opendir(tdir);
        if (!vd)
            continue;
        struct dirent *ve;
        while ((ve = readdir(vd))) {
            char *end;
            long v = strtol(ve->d_name, &end, 10);
            if (*end || v < 1)
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                struct tpl_version *g = realloc(*out, cap * sizeof **out);
                if (!g)
                    break;
                *out = g;
            }
            struct dp_err ignore = {0};
            if (store_get(state_dir, de->d_name, (int)v, &(*out)[*n], &ignore) == 0)
                (*n)++;
        }
        closedir(vd);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_version);
    return 0;
}

/* Formats qemu-img can read that we accept as a template source. */
static int format_supported(const char *fmt)
{
    static const char *ok[] = {"qcow2", "raw", "vmdk", "vpc", "vhdx"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(fmt, ok[i]) == 0)
            return 1;
    return 0;
}

static int copy_file(const char *src, const char *dst, struct dp_err *err)
{
    size_t len;
    struct dp_err rerr = {0};
    char *data = dp_read_file(src, (size_t)1 << 30, &len, &rerr);
    if (!data) {
        dp_err_set(err, "cannot read %s: %s", src, dp_err_msg(&rerr));
        return -1;
    }
    int rc = dp_write_file_atomic(dst, data, len, 0444, err);
    free(data);
    return rc;
}

static int write_meta(const char *vdir, const char *name, int version,
                      const struct tpl_import_opts *o, const char *sha, const char *src_sha,
                      long long size, struct dp_err *err)
{
    json_t *m = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:s, s:I, s:I}", "name", name, "version",
        version, "kernel", o->kernel ? "vmlinuz" : "", "initrd", o->initrd ? "initrd.img" : "",
        "append", o->append ? o->append : "", "memory_mb", o->memory_mb ? o->memory_mb : 256,
        "vcpus", o->vcpus ? o->vcpus : 1, "has_rdp", o->has_rdp, "sha256", sha, "source_sha256",
        src_sha, "size", (json_int_t)size, "created", (json_int_t)time(NULL));
    char *text = m ? json_dumps(m, JSON_INDENT(2)) : NULL;
    json_decref(m);
    if (!text) {
        dp_err_set(err, "cannot encode template metadata");
        return -1;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/meta.json", vdir);
    int rc = dp_write_file_atomic(path, text, strlen(text), 0444, err);
    free(text);
    return rc;
}

/* Reuse the latest version when the same image (and boot files) were imported before. */
static int same_as_latest(const char *state_dir, const char *name, const char *src_sha,
                          const struct tpl_import_opts *o, struct tpl_version *out)
{
    struct tpl_version v;
    if (store_get(state_dir, name, 0, &v, NULL) != 0 || strcmp(v.source_sha256, src_sha) != 0)
        return 0;
    if (strcmp(v.append, o->append ? o->append : "") != 0 || v.has_rdp != o->has_rdp)
        return 0;
    const char *mine[] = {o->kernel, o->initrd};
    const char *theirs[] = {v.kernel, v.initrd};
    for (int i = 0; i < 2; i++) {
        char a[65], b[65];
        if (!mine[i] != !theirs[i][0])
            return 0;
        if (mine[i] && (dp_sha256_file(mine[i], a, NULL) != 0 ||
                        dp_sha256_file(theirs[i], b, NULL) != 0 || strcmp(a, b) != 0))
            return 0;
    }
    *out = v;
    return 1;
}

int store_import(const char *state_dir, const char *name, const char *image,
                 const struct tpl_import_opts *o, struct tpl_version *out, struct dp_err *err)
{
    if (!hv_name_valid(name)) {
        dp_err_set(err, "invalid template name \"%s\": use a-z, 0-9, '-' or '_'", name);
        return -1;
    }
    char fmt[32];
    if (overlay_image_format(qemu_img(), image, fmt, sizeof fmt, err) != 0)
        return -1;
    if (!format_supported(fmt)) {
        dp_err_set(err, "%s is a %s image; import takes qcow2, raw, vmdk, vhd or vhdx", image, fmt);
        return -1;
    }
    char src_sha[65];
    if (dp_sha256_file(image, src_sha, err) != 0)
        return -1;
    if (o->reuse_same && same_as_latest(state_dir, name, src_sha, o, out))
        return 0;

    char tdir[PATH_MAX];
    snprintf(tdir, sizeof tdir, "%s/templates/%s", state_dir, name);
    if (dp_mkdirs(tdir, 0755, err) != 0)
        return -1;
    int version = latest_version(tdir) + 1;
    char part[PATH_MAX + 32], vdir[PATH_MAX + 16], base[PATH_MAX * 2];
    snprintf(part, sizeof part, "%s/%d.partial", tdir, version);
    snprintf(vdir, sizeof vdir, "%s/%d", tdir, version);
    dp_remove_tree(part, NULL);
    if (dp_mkdirs(part, 0755, err) != 0)
        return -1;
    snprintf(base, sizeof base, "%s/base.qcow2", part);

    /* Everything happens in N.partial and becomes version N by one rename at the end. */
    int rc = -1;
    char errbuf[1024];
    char *conv[] = {"qemu-img", "convert", "-U",          "-f", fmt,
                    "-O",       "qcow2",   (char *)image, base, NULL};
    int st = proc_run(conv, NULL, 0, errbuf, sizeof errbuf, err);
    if (st != 0) {
        if (st > 0)
            dp_err_set(err, "cannot convert %s to qcow2 (qemu-img: %s); is the disk full?", image,
                       strtok(errbuf, "\n") ? errbuf : "no message");
        goto out;
    }
    char kpath[PATH_MAX * 2], ipath[PATH_MAX * 2];
    snprintf(kpath, sizeof kpath, "%s/vmlinuz", part);
    snprintf(ipath, sizeof ipath, "%s/initrd.img", part);
    if ((o->kernel && copy_file(o->kernel, kpath, err) != 0) ||
        (o->initrd && copy_file(o->initrd, ipath, err) != 0))
        goto out;
    char sha[65];
    struct stat sb;
    if (dp_sha256_file(base, sha, err) != 0 || stat(base, &sb) != 0 || chmod(base, 0444) != 0)
        goto out;
    if (write_meta(part, name, version, o, sha, src_sha, (long long)sb.st_size, err) != 0)
        goto out;
    if (rename(part, vdir) != 0) {
        dp_err_errno(err, "cannot publish template version %s", vdir);
        goto out;
    }
    rc = store_get(state_dir, name, version, out, err);
out:
    if (rc != 0)
        dp_remove_tree(part, NULL);
    return rc;
}

int store_verify(const struct tpl_version *v, struct dp_err *err)
{
    if (check_files(v, err) != 0)
        return -1;
    char sha[65];
    if (dp_sha256_file(v->base, sha, err) != 0)
        return -1;
    if (strcmp(sha, v->sha256) != 0) {
        dp_err_set(err,
                   "template %s:%d: base image %s has changed (sha256 %s, recorded %s); VMs on "
                   "it may be corrupt: import a new version and recreate them",
                   v->name, v->version, v->base, sha, v->sha256);
        return -1;
    }
    char errbuf[1024];
    char *argv[] = {"qemu-img", "check", "-U", "-q", (char *)v->base, NULL};
    int st = proc_run(argv, NULL, 0, errbuf, sizeof errbuf, err);
    if (st != 0) {
        if (st > 0)
            dp_err_set(err, "template %s:%d: qemu-img check of %s failed: %s", v->name, v->version,
                       v->base, errbuf);
        return -1;
    }
    return 0;
}
