/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_TEMPLATE_TINY_BUILD_H
#define DESKPOOL_TEMPLATE_TINY_BUILD_H

/*
 * The tiny demo template: runs templates/tiny/build.sh (Debian packages only, cached in
 * STATE/cache/tiny) and imports its output into the template store as template "tiny".
 * Shared by `deskpool-hv template build tiny` and deskpoold's POST /templates/tiny/build.
 */
#include "store.h"

#include <limits.h>

struct dp_err;

struct tiny_build_inputs {
    char script[PATH_MAX];  /* templates/tiny/build.sh */
    char guestd[PATH_MAX];  /* the deskpool-guestd binary */
    char desktop[PATH_MAX]; /* the deskpool-desktop binary; the image has no RDP without it */
};

/* Fills *in from the environment (DESKPOOL_TINY_SCRIPT, DESKPOOL_GUESTD, DESKPOOL_DESKTOP)
 * where set, else from the source and build trees the caller was built from, else (those
 * trees are gone) from the installed copies (share/deskpool/tiny, libexec/deskpool). */
void tiny_build_locate(struct tiny_build_inputs *in, const char *source_dir,
                       const char *binary_dir);

/*
 * Builds (or finds cached) the tiny image and stores it as the next version of "tiny", or
 * returns the latest version unchanged if the image is the same. Blocks for as long as the
 * build takes (minutes the first time); the script's progress goes to stderr. *with_desktop
 * (may be NULL) says whether deskpool-desktop was there to put in the image.
 */
int tiny_build(const char *state_dir, const struct tiny_build_inputs *in, struct tpl_version *out,
               int *with_desktop, struct dp_err *err);

#endif
