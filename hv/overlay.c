/* SPDX-License-Identifier: Apache-2.0 */
#include "overlay.h"

#include "err.h"
#include "files.h"
#include "proc.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int overlay_image_format(const char *qemu_img, const char *path, char *fmt, size_t cap,
                         struct dp_err *err)
{
    if (access(path, R_OK) != 0) {
        dp_err_errno(err, "disk image %s cannot be read", path);
        return -1;
    }
    char out[16384], errbuf[1024];
    /* -U: the base may be open read-only by running VMs; we only read its header. */
    char *argv[] = {(char *)qemu_img, "info", "-U", "--output=json", (char *)path, NULL};
    int rc = proc_run(argv, out, sizeof out, errbuf, sizeof errbuf, err);
    if (rc != 0) {
        if (rc > 0)
            dp_err_set(err, "disk image %s is unreadable or corrupt (qemu-img: %s)", path,
                       strtok(errbuf, "\n") ? errbuf : "no message");
        return -1;
    }
    json_t *o = json_loads(out, 0, NULL);
    const char *f = json_string_value(json_object_get(o, "format"));
    if (!f) {
        dp_err_set(err, "qemu-img info gave no format for %s", path);
        json_decref(o);
        return -1;
    }
    snprintf(fmt, cap, "%s", f);
    json_decref(o);
    return 0;
}

int overlay_check_chain(const char *qemu_img, const char *disk, struct dp_err *err)
{
    char errbuf[1024];
    char *argv[] = {(char *)qemu_img, "info", "-U", "--backing-chain", (char *)disk, NULL};
    int rc = proc_run(argv, NULL, 0, errbuf, sizeof errbuf, err);
    if (rc > 0)
        dp_err_set(err, "%s", strtok(errbuf, "\n") ? errbuf : "qemu-img info failed");
    return rc == 0 ? 0 : -1;
}

int overlay_create(const char *qemu_img, const char *base, const char *overlay, struct dp_err *err)
{
    char fmt[32];
    if (overlay_image_format(qemu_img, base, fmt, sizeof fmt, err) != 0)
        return -1;
    if (strcmp(fmt, "qcow2") != 0) {
        dp_err_set(err,
                   "base image %s is %s, not qcow2; import it as a template version first "
                   "(deskpool-hv template import NAME %s)",
                   base, fmt, base);
        return -1;
    }
    char errbuf[1024];
    char *argv[] = {
        (char *)qemu_img, "create",        "-q", "-f", "qcow2", "-b", (char *)base, "-F",
        "qcow2",          (char *)overlay, NULL};
    int rc = proc_run(argv, NULL, 0, errbuf, sizeof errbuf, err);
    if (rc != 0) {
        unlink(overlay);
        if (rc > 0)
            dp_err_set(err, "cannot create overlay %s on %s (qemu-img: %s)", overlay, base,
                       strtok(errbuf, "\n") ? errbuf : "no message");
        return -1;
    }
    return 0;
}

int overlay_full_copy(const char *qemu_img, const char *src, const char *dst, struct dp_err *err)
{
    char errbuf[1024];
    char *argv[] = {(char *)qemu_img, "convert",   "-U",        "-O",
                    "qcow2",          (char *)src, (char *)dst, NULL};
    int rc = proc_run(argv, NULL, 0, errbuf, sizeof errbuf, err);
    if (rc != 0) {
        unlink(dst);
        if (rc > 0)
            dp_err_set(err, "cannot copy %s to %s (qemu-img: %s)", src, dst,
                       strtok(errbuf, "\n") ? errbuf : "no message");
        return -1;
    }
    return 0;
}
