/* SPDX-License-Identifier: Apache-2.0 */
/* Which QEMU runs the VMs: a saved VM state loads only into the QEMU that wrote it. */
#include "hv.h"

#include "err.h"
#include "proc.h"

#include <stdio.h>
#include <string.h>

const char *hv_qemu_version(struct hv *hv, struct dp_err *err)
{
    if (hv->qemu_version[0])
        return hv->qemu_version;
    if (!hv->qemu[0]) {
        dp_err_set(err, "QEMU not found (qemu-system-x86_64 is not in PATH); install it: "
                        "apt-get install qemu-system-x86");
        return NULL;
    }
    char out[512], errbuf[512];
    char *argv[] = {hv->qemu, "--version", NULL};
    if (proc_run(argv, out, sizeof out, errbuf, sizeof errbuf, err) != 0) {
        dp_err_set(err, "%s --version failed; check the QEMU installation", hv->qemu);
        return NULL;
    }
    /* "QEMU emulator version 7.2.22 (Debian ...)" */
    const char *v = strstr(out, "version ");
    if (!v || sscanf(v + 8, "%63s", hv->qemu_version) != 1) {
        dp_err_set(err, "cannot read a version from \"%s --version\"", hv->qemu);
        return NULL;
    }
    return hv->qemu_version;
}
