/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PARENT_GC_H
#define DESKPOOL_HV_PARENT_GC_H

/*
 * Removing instant-clone parents nobody needs. A parent costs its RAM file (the guest's
 * memory size) plus its disk, and a new one appears with every template version, QEMU
 * upgrade or change of the VM command line, while the old one stays for the clones whose
 * disks chain on it. A parent is removed only when no VM's disk chains on it AND no new
 * clone can pick it:
 *   - superseded: its template version now has a parent under another key (QEMU or the
 *     guest hardware changed), so clones of that version go there;
 *   - gone: its template version is not in the template store any more;
 *   - unused: any parent without VMs, only when the caller asks for all of them (an
 *     admin's `deskpool-hv parent gc --all-unused`; the next clone rebuilds it, ~10 s).
 * hv does not link the template store, so the caller passes the versions that exist.
 */
#include <stddef.h>

struct hv;
struct tpl_version;
struct dp_err;

enum parent_gc_why { PARENT_KEEP, PARENT_SUPERSEDED, PARENT_GONE, PARENT_UNUSED };

/* The decision for one parent, pure: in_use VMs chain on it; live says whether its template
 * version exists; current says whether its folder is the one clones of that version use. */
enum parent_gc_why parent_gc_decide(int in_use, int live, int current, int all_unused);
const char *parent_gc_why_name(enum parent_gc_why why);

struct parent_gc_removed {
    char dir[4096];
    enum parent_gc_why why;
    long long bytes;
};

/*
 * Looks at every parent of the templates in live[0..n_live) (only_live: parents of other
 * templates are left alone, for the automatic clean-up after a build) or of any template
 * (!only_live: a parent whose version is not in live is "gone"), and removes those
 * parent_gc_decide() condemns. Each removal is appended to *out (caller frees; may be NULL to
 * not collect); *n_out counts them. With dry_run nothing is removed. Returns 0, or -1 if a
 * folder could not be listed or removed (err says which; the others are still done).
 */
int hv_parent_gc(struct hv *hv, const struct tpl_version *live, size_t n_live, int only_live,
                 int all_unused, int dry_run, struct parent_gc_removed **out, size_t *n_out,
                 struct dp_err *err);

#endif
