/* SPDX-License-Identifier: Apache-2.0 */
/* The host memory check for pool sizes. */
#include "pool_fit.h"
#include "err.h"
#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long field_kb(const char *text, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':')
            return strtol(p + nl + 1, NULL, 10);
    }
    return -1;
}

int host_mem_parse(const char *text, struct host_mem *out)
{
    long total = field_kb(text, "MemTotal"), avail = field_kb(text, "MemAvailable");
    if (total <= 0)
        return -1;
    out->total_mb = total / 1024;
    out->available_mb = avail >= 0 ? avail / 1024 : out->total_mb;
    return 0;
}

int host_mem_read(const char *path, struct host_mem *out, struct dp_err *err)
{
    size_t len;
    char *text = dp_read_file(path ? path : "/proc/meminfo", 1 << 16, &len, err);
    if (!text)
        return -1;
    int rc = host_mem_parse(text, out);
    free(text);
    if (rc != 0)
        dp_err_set(err, "%s has no MemTotal line; is /proc mounted?",
                   path ? path : "/proc/meminfo");
    return rc;
}

int pool_fits(const char *pool, int max_vms, int memory_mb, long total_mb, long reserve_mb,
              char *msg, size_t cap)
{
    long need = (long)max_vms * memory_mb, have = total_mb - reserve_mb;
    if (need <= have)
        return 1;
    long can = have > 0 && memory_mb > 0 ? have / memory_mb : 0;
    snprintf(msg, cap,
             "pool \"%s\": max %d x %d MiB = %ld MiB does not fit this host's memory "
             "(%ld MiB total - %ld MiB reserve = %ld MiB); lower max to %ld or less, use "
             "less memory_mb, or lower memory_reserve_mb in the [pool] config",
             pool, max_vms, memory_mb, need, total_mb, reserve_mb, have > 0 ? have : 0, can);
    return 0;
}
