/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_PRECONNECTION_H
#define DESKPOOL_GW_PRECONNECTION_H

/*
 * MS-RDPEPS preconnection PDU: what a client may send before its X.224 Connection Request
 * (xfreerdp /pcid: and /pcb:). v1 carries a 32-bit Id; v2 adds a UTF-16LE string (the
 * "preconnection blob"), which deskpool uses to name a pool. Layout, all little-endian:
 *   0 cbSize u32 (whole PDU) | 4 Flags u32 | 8 Version u32 (1 or 2) | 12 Id u32
 *   v2 only: 16 cchPCB u16 (UTF-16 units, terminator included) | 18 wszPCB
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw_status.h"

#define GW_PCB_VERSION_1 1u
#define GW_PCB_VERSION_2 2u
/* Longest blob accepted, in UTF-16 units with the terminator (a pool name or a token). */
#define GW_PCB_MAX_UNITS 512u
/* Largest PDU that can hold such a blob. */
#define GW_PCB_MAX_SIZE (18u + 2u * GW_PCB_MAX_UNITS)

struct gw_preconnection {
    uint32_t flags;   /* unused by the spec; reported, not checked */
    uint32_t version; /* GW_PCB_VERSION_1 or GW_PCB_VERSION_2 */
    uint32_t id;
    int has_blob;                        /* v2: wszPCB was present */
    char blob[3 * GW_PCB_MAX_UNITS + 1]; /* v2: wszPCB as UTF-8, NUL-terminated */
    size_t blob_len;                     /* strlen(blob) */
};

/*
 * Tells whether a client's first bytes start with a preconnection PDU rather than a TPKT:
 * a TPKT starts with version byte 3, a preconnection PDU with its cbSize (at least 16).
 * Returns 1 (preconnection PDU), 0 (TPKT or anything else: hand it to the X.224 parser),
 * or -1 when len is 0 and nothing can be told yet.
 */
int gw_preconnection_present(const uint8_t *buf, size_t len);

/*
 * Parses one preconnection PDU at the start of buf. GW_OK: *out is filled and *consumed is
 * cbSize; bytes after it (the X.224 Connection Request often comes in the same read) are
 * left for the next parser. GW_NEED_MORE: buf is a valid prefix; *consumed is 0.
 * GW_ERROR: err says which field is wrong. Reads only buf[0 .. len); never reads more than
 * GW_PCB_MAX_SIZE bytes.
 */
int gw_preconnection_parse(const uint8_t *buf, size_t len, struct gw_preconnection *out,
                           size_t *consumed, struct dp_err *err);

#endif
