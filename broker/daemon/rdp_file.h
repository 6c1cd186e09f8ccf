/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_RDP_FILE_H
#define DESKPOOL_BROKER_RDP_FILE_H

/*
 * The .rdp file the broker hands out (GET /desktops/connect.rdp, and "rdp_file" of POST
 * /desktops/connect): the settings mstsc, Remmina and xfreerdp read, with the routing token
 * in loadbalanceinfo. mstsc and xfreerdp 2.11 send that value verbatim + CRLF as the X.224
 * cookie line, so it is "Cookie: msts=TOKEN" and the gateway sees a routing token. Pure;
 * unit-tested.
 */
#include <stddef.h>

struct rdp_file_in {
    const char *gateway; /* "HOST" or "HOST:PORT" (the broker's gateway_address) */
    const char *token;   /* the routing token */
    const char *username;
};

/*
 * Writes the file (CRLF line ends, ASCII) into out. -1 if a value holds a control
 * character (a CR or LF in any field would add settings of the caller's choosing) or
 * out is too small.
 */
int rdp_file_build(const struct rdp_file_in *in, char *out, size_t cap);

#endif
