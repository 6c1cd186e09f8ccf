/* SPDX-License-Identifier: Apache-2.0 */
#include "preconnection.h"

#include <string.h>

#include "utf16.h"
#include "wire.h"

#define PCB_V1_SIZE 16u
#define PCB_V2_HEADER 18u

int gw_preconnection_present(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return -1;
    /* TPKT version 3; a cbSize of 3 would be too small for any preconnection PDU. */
    return buf[0] == 0x03 ? 0 : 1;
}

int gw_preconnection_parse(const uint8_t *buf, size_t len, struct gw_preconnection *out,
                           size_t *consumed, struct dp_err *err)
{
    *consumed = 0;
    memset(out, 0, sizeof *out);
    if (len < 4)
        return GW_NEED_MORE;

    /* Judge cbSize before waiting for it all: a bogus size must not make us wait forever. */
    uint32_t size = gw_rd32le(buf);
    if (size < PCB_V1_SIZE) {
        dp_err_set(err,
                   "preconnection PDU: cbSize %u is smaller than the 16-byte header; the client "
                   "is not sending an MS-RDPEPS preconnection PDU (check its /pcb or /pcid use)",
                   size);
        return GW_ERROR;
    }
    if (size > GW_PCB_MAX_SIZE) {
        dp_err_set(err,
                   "preconnection PDU: cbSize %u is over the %u bytes the gateway accepts; use "
                   "a preconnection blob of at most %u characters",
                   size, GW_PCB_MAX_SIZE, GW_PCB_MAX_UNITS - 1);
        return GW_ERROR;
    }
    if (len >= 12) {
        uint32_t version = gw_rd32le(buf + 8);
        if (version != GW_PCB_VERSION_1 && version != GW_PCB_VERSION_2) {
            dp_err_set(err, "preconnection PDU: version %u is neither 1 nor 2 (MS-RDPEPS)",
                       version);
            return GW_ERROR;
        }
        if (version == GW_PCB_VERSION_1 && size != PCB_V1_SIZE) {
            dp_err_set(err, "preconnection PDU v1: cbSize is %u but a v1 PDU is 16 bytes", size);
            return GW_ERROR;
        }
        if (version == GW_PCB_VERSION_2 && size < PCB_V2_HEADER) {
            dp_err_set(err,
                       "preconnection PDU v2: cbSize %u leaves no room for cchPCB (needs 18 "
                       "bytes or more)",
                       size);
            return GW_ERROR;
        }
    }
    if (len >= PCB_V2_HEADER && gw_rd32le(buf + 8) == GW_PCB_VERSION_2) {
        uint32_t cch = gw_rd16le(buf + 16);
        if (size != PCB_V2_HEADER + 2 * cch) {
            dp_err_set(err,
                       "preconnection PDU v2: cbSize %u does not match cchPCB %u (expected %u "
                       "bytes)",
                       size, cch, PCB_V2_HEADER + 2 * cch);
            return GW_ERROR;
        }
    }
    if (len < size)
        return GW_NEED_MORE;

    out->flags = gw_rd32le(buf + 4);
    out->version = gw_rd32le(buf + 8);
    out->id = gw_rd32le(buf + 12);
    if (out->version == GW_PCB_VERSION_2) {
        uint32_t cch = gw_rd16le(buf + 16);
        const char *why = NULL;
        /* The string ends at its first NUL: xfreerdp counts one more terminator than it
         * needs (cchPCB 10 for "lab-pool"), so a NUL before cchPCB is normal. */
        int n = gw_utf16le_to_utf8(buf + PCB_V2_HEADER, cch, 1, out->blob, sizeof out->blob, &why);
        if (n < 0) {
            dp_err_set(err, "preconnection PDU v2: the blob (wszPCB) is not valid UTF-16: %s", why);
            memset(out, 0, sizeof *out);
            return GW_ERROR;
        }
        out->has_blob = 1;
        out->blob_len = (size_t)n;
    }
    *consumed = size;
    return GW_OK;
}
