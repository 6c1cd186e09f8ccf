/* SPDX-License-Identifier: Apache-2.0 */
#include "vport.h"
#include "err.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

int vport_find(const char *sysfs_dir, const char *name, char *out, size_t outlen,
               struct dp_err *err)
{
    DIR *d = opendir(sysfs_dir);
    if (!d) {
        dp_err_errno(err,
                     "cannot list %s (is virtio_console.ko loaded and QEMU given "
                     "-device virtio-serial?)",
                     sysfs_dir);
        return -1;
    }
    struct dirent *de;
    int rc = -1;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], value[128] = "";
        snprintf(path, sizeof path, "%s/%s/name", sysfs_dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(value, sizeof value, f))
            value[strcspn(value, "\n")] = '\0';
        fclose(f);
        if (strcmp(value, name) == 0) {
            snprintf(out, outlen, "/dev/%s", de->d_name);
            rc = 0;
            break;
        }
    }
    closedir(d);
    if (rc != 0)
        dp_err_set(err,
                   "no virtio-serial port named %s in %s; start QEMU with -device "
                   "virtserialport,name=%s",
                   name, sysfs_dir, name);
    return rc;
}
