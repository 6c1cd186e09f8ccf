/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_DESKTOP_PICK_H
#define DESKPOOL_CONNECT_DESKTOP_PICK_H

#include <jansson.h>
#include <stddef.h>

/*
 * The entry of GET /me/desktops' items that target names: a pool name, else a desktop id;
 * with no target the only entry. NULL with msg saying why (none, several, no match). The
 * result is borrowed from items. Pure.
 */
json_t *desktop_pick(json_t *items, const char *target, char *msg, size_t cap);

#endif
