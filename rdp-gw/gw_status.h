/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_STATUS_H
#define DESKPOOL_GW_STATUS_H

/*
 * What a gateway parser made of the bytes it was given. Parsers read from a socket buffer
 * that may hold a prefix of a PDU, a whole one, or a PDU followed by the next one, so
 * "not yet" is an answer of its own, distinct from "never".
 */
enum gw_status {
    GW_ERROR = -1,    /* the bytes cannot be this PDU; the dp_err says why */
    GW_NEED_MORE = 0, /* a valid prefix so far: read more and call again with all of it */
    GW_OK = 1,        /* complete: the PDU's length is reported by the parser */
};

#endif
