/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clone-mode instant for pools: a VM is defined as an instant clone of its template
 * version's parent (hv/parent.h builds the parent once per version and QEMU) and started by
 * restoring the parent's saved state (hv/instant.h), personalised over the guest agent.
 * Only the QEMU driver can do this; with another driver (the unit tests' fake) and for
 * anything the parent cannot serve, the VM boots as in clone-mode boot, with the reason logged.
 */
#include "pool_internal.h"

#include "err.h"
#include "instant.h"
#include "log.h"
#include "parent.h"
#include "personalise.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

int pool_instant_capable(const struct pool_mgr *m)
{
    return strcmp(m->hv->ops->name, "qemu") == 0;
}

/* The template store's view of a version, which is what the parent builder takes. */
static void to_tpl(const struct db_template_version *tv, struct tpl_version *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", tv->template_name);
    out->version = tv->version;
    snprintf(out->base, sizeof out->base, "%s", tv->base_path);
    snprintf(out->kernel, sizeof out->kernel, "%s", tv->kernel);
    snprintf(out->initrd, sizeof out->initrd, "%s", tv->initrd);
    snprintf(out->append, sizeof out->append, "%s", tv->append);
    out->memory_mb = tv->memory_mb;
    out->vcpus = tv->vcpus;
    out->has_rdp = tv->has_rdp;
    snprintf(out->sha256, sizeof out->sha256, "%s", tv->sha256);
}

int pool_instant_define(struct pool_mgr *m, const struct db_pool *p,
                        const struct db_template_version *tv, const struct hv_vm_spec *spec,
                        struct dp_err *err)
{
    struct tpl_version v;
    to_tpl(tv, &v);
    /* A pool that overrides memory or vCPUs cannot restore the template's parent. */
    const char *parent_dir = NULL;
    struct hv_parent parent;
    struct dp_err perr = {0};
    char why[1024] = "";
    if ((p->memory_mb && p->memory_mb != tv->memory_mb) || (p->vcpus && p->vcpus != tv->vcpus))
        snprintf(why, sizeof why, "the pool overrides the template's memory or vCPUs");
    else if (hv_parent_ensure(m->hv, &v, 0, &parent, &perr) == 0)
        parent_dir = parent.dir;
    else
        snprintf(why, sizeof why, "no parent for %s:%d: %s", tv->template_name, tv->version,
                 dp_err_msg(&perr));
    char fallback[1024] = "";
    if (hv_instant_define(m->hv, spec, parent_dir, fallback, sizeof fallback, err) != 0)
        return -1;
    if (why[0] || fallback[0])
        log_warn("VM %s (pool %s): instant clone not possible, it will boot: %s", spec->name,
                 p->name, why[0] ? why : fallback);
    return 0;
}

int pool_instant_start(struct pool_mgr *m, const char *name, int timeout_ms, struct dp_err *err)
{
    struct hv_personalise pers = {0};
    struct hv_instant_result res;
    memset(&res, 0, sizeof res);
    if (hv_instant_start(m->hv, name, &pers, timeout_ms, &res, err) != 0)
        return -1;
    if (res.restored)
        log_info("VM %s restored from its parent in %d ms (ready in %d ms)", name, res.restore_ms,
                 res.ready_ms);
    else if (res.fallback[0])
        log_warn("VM %s booted cold: %s", name, res.fallback);
    return res.ready_ms;
}
