/* SPDX-License-Identifier: Apache-2.0 */
/* Store codes to HTTP statuses, statuses to the error codes of docs/API.md. */
#include "api_errors.h"
#include "store/db.h"

int api_status_for_db(int rc)
{
    switch (rc) {
    case DB_OK:
        return 200;
    case DB_ENOTFOUND:
        return 404;
    case DB_EEXISTS:
    case DB_ECONFLICT:
        return 409;
    case DB_EINVAL:
        return 400;
    case DB_EDENIED:
        return 403;
    default:
        return 500;
    }
}

const char *api_code_for_status(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthenticated";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 409:
        return "conflict";
    case 413:
        return "too_large";
    case 503:
        return "no_capacity";
    default:
        return "internal";
    }
}
