/* SPDX-License-Identifier: Apache-2.0 */
/* Exit statuses: names for --json and the mapping from HTTP answers (see conn_exit.h). */
#include "conn_exit.h"

#include "connect.h"
#include "http.h"

const char *conn_exit_name(int code)
{
    switch (code) {
    case CONN_OK:
        return "ok";
    case CONN_FAILED:
        return "failed";
    case CONN_USAGE:
        return "usage";
    case CONN_UNREACHABLE:
        return "broker_unreachable";
    case CONN_LOGIN_REFUSED:
        return "login_refused";
    case CONN_FORBIDDEN:
        return "forbidden";
    case CONN_NO_CAPACITY:
        return "no_capacity";
    case CONN_NO_CLIENT:
        return "client_not_found";
    case CONN_UNTRUSTED:
        return "certificate_untrusted";
    case CONN_TIMEOUT:
        return "timeout";
    case CONN_CANCELLED:
        return "cancelled";
    }
    return "failed";
}

int conn_exit_for_status(int status)
{
    if (status >= 200 && status <= 299)
        return CONN_OK;
    switch (status) {
    case 401:
        return CONN_LOGIN_REFUSED;
    case 403: /* not entitled, not the caller's desktop, reset not allowed by the pool */
    case 404: /* no such pool or desktop: to a user that is the same as not theirs */
        return CONN_FORBIDDEN;
    case 503:
        return CONN_NO_CAPACITY;
    }
    return CONN_FAILED;
}

int conn_exit_for_transport(int http_result)
{
    switch (http_result) {
    case HTTP_OK:
        return CONN_OK;
    case HTTP_UNTRUSTED:
        return CONN_UNTRUSTED;
    default: /* unreachable, or an answer nobody can use: either way no broker to talk to */
        return CONN_UNREACHABLE;
    }
}
