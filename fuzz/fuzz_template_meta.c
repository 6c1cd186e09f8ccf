/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A template version's meta.json (templates/store/store.c), read on every lookup. A damaged
 * or hand-edited file must be refused with a message naming it, never crash the broker; an
 * accepted one must describe files inside the version's folder only (kernel and initrd are
 * joined to it) and sizes QEMU can be started with.
 */
#include "err.h"
#include "hv.h"
#include "store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIR "/var/lib/deskpool/templates/tiny/1"

/* "" or DIR/NAME with NAME a plain file name. */
static int inside(const char *p)
{
    size_t n = strlen(DIR);
    if (p[0] == '\0')
        return 1;
    if (strncmp(p, DIR "/", n + 1) != 0)
        return 0;
    const char *name = p + n + 1;
    return strchr(name, '/') == NULL && strcmp(name, "..") != 0 && strcmp(name, ".") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > STORE_META_MAX)
        return 0;
    struct tpl_version *v = malloc(sizeof *v);
    if (!v)
        return 0;
    struct dp_err err = {0};
    if (store_meta_parse((const char *)data, size, DIR, v, &err) == 0) {
        if (!hv_name_valid(v->name) || strlen(v->sha256) != 64)
            abort();
        if (!inside(v->kernel) || !inside(v->initrd))
            abort(); /* a file outside the template's folder would be booted */
        if (v->memory_mb < 0 || v->memory_mb > (1 << 20) || v->vcpus < 0 || v->vcpus > 256)
            abort();
        if (strnlen(v->append, sizeof v->append) >= sizeof v->append)
            abort();
    } else if (!err.set || strstr(err.msg, DIR "/meta.json") == NULL) {
        abort(); /* a refusal names the file */
    }
    free(v);
    return 0;
}
