/* SPDX-License-Identifier: Apache-2.0 */
/* Removing instant-clone parents that no VM uses and no new clone can pick (parent_gc.h). */
#include "parent_gc.h"

#include "err.h"
#include "files.h"
#include "hv.h"
#include "log.h"
#include "parent.h"
#include "store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum parent_gc_why parent_gc_decide(int in_use, int live, int current, int all_unused)
{
    if (in_use > 0)
        return PARENT_KEEP; /* a clone's disk chains on it: removing it loses that desktop */
    if (!live)
        return PARENT_GONE;
    if (!current)
        return PARENT_SUPERSEDED;
    return all_unused ? PARENT_UNUSED : PARENT_KEEP;
}

const char *parent_gc_why_name(enum parent_gc_why why)
{
    switch (why) {
    case PARENT_SUPERSEDED:
        return "superseded (its template version has a parent for the current QEMU and VM "
               "hardware)";
    case PARENT_GONE:
        return "its template version is no longer in the template store";
    case PARENT_UNUSED:
        return "no VM uses it (--all-unused; the next instant clone builds it again)";
    case PARENT_KEEP:
        break;
    }
    return "kept";
}

/* Disk space the folder's files take (a parent folder has no subfolders). */
static long long dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    long long sum = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[PATH_MAX * 2];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (de->d_name[0] != '.' && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            sum += (long long)st.st_blocks * 512;
    }
    if (d)
        closedir(d);
    return sum;
}

static const struct tpl_version *find_live(const struct tpl_version *live, size_t n,
                                           const struct hv_parent_meta *m)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(live[i].name, m->template_name) == 0 && live[i].version == m->template_version)
            return &live[i];
    return NULL;
}

static int name_is_live(const struct tpl_version *live, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(live[i].name, name) == 0)
            return 1;
    return 0;
}

int hv_parent_gc(struct hv *hv, const struct tpl_version *live, size_t n_live, int only_live,
                 int all_unused, int dry_run, struct parent_gc_removed **out, size_t *n_out,
                 struct dp_err *err)
{
    struct hv_parent *ps = NULL;
    int *users = NULL;
    size_t n = 0;
    *n_out = 0;
    if (out)
        *out = NULL;
    if (hv_parent_list(hv, &ps, &users, &n, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hv_parent_meta *m = &ps[i].meta;
        if (only_live && !name_is_live(live, n_live, m->template_name))
            continue;
        const struct tpl_version *v = find_live(live, n_live, m);
        if (only_live && !v)
            continue; /* another version of the template: not ours to judge here */
        int current = 0;
        if (v) {
            struct hv_vm_spec spec;
            char dir[PATH_MAX];
            struct dp_err derr = {0};
            if (hv_parent_dir_for(hv, v, &spec, dir, sizeof dir, &derr) != 0) {
                log_warn("parent gc: keeping %s: %s", ps[i].dir, dp_err_msg(&derr));
                continue;
            }
            current = strcmp(dir, ps[i].dir) == 0;
        }
        enum parent_gc_why why = parent_gc_decide(users[i], v != NULL, current, all_unused);
        if (why == PARENT_KEEP)
            continue;
        long long bytes = dir_bytes(ps[i].dir);
        if (!dry_run) {
            struct dp_err rerr = {0};
            if (dp_remove_tree(ps[i].dir, &rerr) != 0) {
                dp_err_set(err, "cannot remove parent %s: %s", ps[i].dir, dp_err_msg(&rerr));
                rc = -1;
                continue;
            }
            log_info("removed instant-clone parent %s (%lld MiB): %s", ps[i].dir, bytes >> 20,
                     parent_gc_why_name(why));
        }
        if (out) {
            struct parent_gc_removed *grown = realloc(*out, (*n_out + 1) * sizeof **out);
            if (!grown) {
                dp_err_set(err, "out of memory collecting removed parents");
                rc = -1;
                break;
            }
            *out = grown;
            snprintf(grown[*n_out].dir, sizeof grown[*n_out].dir, "%s", ps[i].dir);
            grown[*n_out].why = why;
            grown[*n_out].bytes = bytes;
        }
        (*n_out)++;
    }
    free(ps);
    free(users);
    return rc;
}
