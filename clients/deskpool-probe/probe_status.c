/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_status.h"

const char *probe_status_name(enum probe_status status)
{
    switch (status) {
    case PROBE_OK:
        return "ok";
    case PROBE_USAGE:
        return "usage";
    case PROBE_UNREACHABLE:
        return "unreachable";
    case PROBE_AUTH:
        return "auth_failed";
    case PROBE_NO_FRAME:
        return "no_frame";
    case PROBE_ERROR:
        break;
    }
    return "error";
}
