/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_PORTAL_ASSETS_H
#define DESKPOOL_BROKER_PORTAL_ASSETS_H

/*
 * The web portal's files (broker/portal/), embedded in deskpoold at build time
 * (cmake/embed_portal.cmake writes portal_assets.c into the build tree): one binary to
 * install, and the pages always match the API of the broker that serves them.
 */
#include <stddef.h>

struct portal_asset {
    const char *name; /* "index.html", "app.js", ... */
    const char *type; /* its Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct portal_asset portal_assets[];
extern const size_t portal_assets_count;

/* The asset called name, or NULL. */
const struct portal_asset *portal_asset_find(const char *name);

#endif
