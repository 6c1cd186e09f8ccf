/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_classify.h"

#include <stdio.h>

#include <freerdp/error.h>

/* Errors FreeRDP's NLA code sets from the server's NTSTATUS: the server said "no". */
static int is_logon_error(uint32_t e)
{
    switch (e) {
    case FREERDP_ERROR_AUTHENTICATION_FAILED:
    case FREERDP_ERROR_CONNECT_LOGON_FAILURE:
    case FREERDP_ERROR_CONNECT_WRONG_PASSWORD:
    case FREERDP_ERROR_CONNECT_ACCESS_DENIED:
    case FREERDP_ERROR_CONNECT_ACCOUNT_DISABLED:
    case FREERDP_ERROR_CONNECT_ACCOUNT_RESTRICTION:
    case FREERDP_ERROR_CONNECT_ACCOUNT_LOCKED_OUT:
    case FREERDP_ERROR_CONNECT_ACCOUNT_EXPIRED:
    case FREERDP_ERROR_CONNECT_PASSWORD_EXPIRED:
    case FREERDP_ERROR_CONNECT_PASSWORD_MUST_CHANGE:
    case FREERDP_ERROR_CONNECT_PASSWORD_CERTAINLY_EXPIRED:
    case FREERDP_ERROR_CONNECT_LOGON_TYPE_NOT_GRANTED:
    case FREERDP_ERROR_CONNECT_NO_OR_MISSING_CREDENTIALS:
    case FREERDP_ERROR_CONNECT_CLIENT_REVOKED:
        return 1;
    default:
        return 0;
    }
}

enum probe_status probe_classify_failure(uint32_t e, const char *error_name,
                                         const struct probe_progress *p, const char *target,
                                         unsigned timeout_ms, char *msg, size_t msg_size)
{
    const char *name = error_name ? error_name : "unknown";
    const char *state = p->state ? p->state : "unknown";

    if (p->timed_out) {
        if (!p->reached_nla && !p->passed_nla) {
            snprintf(msg, msg_size,
                     "%s accepted the connection but did not complete the RDP negotiation "
                     "within %u s (stuck in %s); is an RDP server listening on that port?",
                     target, timeout_ms / 1000, state);
            return PROBE_UNREACHABLE;
        }
        snprintf(msg, msg_size,
                 "%s: no desktop within %u s (connection stuck in %s); the server may be "
                 "overloaded or still starting: retry with a longer --timeout",
                 target, timeout_ms / 1000, state);
        return PROBE_NO_FRAME;
    }

    if (is_logon_error(e)) {
        snprintf(msg, msg_size,
                 "%s refused the login (%s): check --user, --domain and the password", target,
                 name);
        return PROBE_AUTH;
    }

    /* FreeRDP servers hang up instead of sending an NTSTATUS; see probe_classify.h. */
    if (p->nla_answered && !p->passed_nla) {
        snprintf(msg, msg_size,
                 "%s closed the connection during NLA after our credentials were sent (%s): "
                 "most likely a wrong user name or password; check --user, --domain and the "
                 "password",
                 target, name);
        return PROBE_AUTH;
    }

    switch (e) {
    case FREERDP_ERROR_DNS_ERROR:
    case FREERDP_ERROR_DNS_NAME_NOT_FOUND:
        snprintf(msg, msg_size, "%s: the host name does not resolve (%s); check the name", target,
                 name);
        return PROBE_UNREACHABLE;
    case FREERDP_ERROR_CONNECT_FAILED:
        snprintf(msg, msg_size,
                 "cannot connect to %s (%s): nothing listening, host down or firewalled; check "
                 "the host, the port and that the RDP server runs",
                 target, name);
        return PROBE_UNREACHABLE;
    case FREERDP_ERROR_SECURITY_NEGO_CONNECT_FAILED:
        snprintf(msg, msg_size,
                 "%s refused the security negotiation (%s): the server may require another "
                 "protocol (try --sec nla, or --sec any), or it is not an RDP server",
                 target, name);
        return PROBE_UNREACHABLE;
    case FREERDP_ERROR_TLS_CONNECT_FAILED:
        snprintf(msg, msg_size,
                 "%s: the TLS handshake failed (%s); the server's TLS setup (certificate, "
                 "protocol versions) does not work with this client",
                 target, name);
        return PROBE_UNREACHABLE;
    default:
        break;
    }

    /* Servers that insist on NLA but still let a TLS-only negotiation through (FreeRDP
     * servers among them) hang up when the MCS phase starts. */
    if (!p->reached_nla && p->dropped_in_mcs) {
        snprintf(msg, msg_size,
                 "%s refused the session after a negotiation without NLA (%s); it probably "
                 "requires NLA: use --sec nla",
                 target, name);
        return PROBE_UNREACHABLE;
    }
    if (!p->reached_nla && !p->passed_nla) {
        snprintf(msg, msg_size,
                 "%s dropped the connection during the RDP negotiation (%s, in %s); is it an "
                 "RDP server?",
                 target, name, state);
        return PROBE_UNREACHABLE;
    }
    if (p->reached_nla && !p->nla_answered && !p->passed_nla) {
        snprintf(msg, msg_size,
                 "%s closed the connection at the start of NLA without answering (%s); the "
                 "server may not support NTLM logons: check its NLA setup",
                 target, name);
        return PROBE_ERROR;
    }
    snprintf(msg, msg_size, "%s: the connection failed after login, in %s (%s); see --verbose",
             target, state, name);
    return PROBE_ERROR;
}

enum probe_status probe_classify_logoff(int ended, uint32_t error_info, const char *info_name,
                                        const char *target, unsigned timeout_ms, char *msg,
                                        size_t msg_size)
{
    msg[0] = '\0';
    if (!ended) {
        snprintf(msg, msg_size,
                 "%s: the session was still open %u s after typing logoff; does the desktop "
                 "log off on \"logoff\" + Enter?",
                 target, timeout_ms / 1000);
        return PROBE_NO_FRAME;
    }
    if (error_info == ERRINFO_LOGOFF_BY_USER)
        return PROBE_OK;
    snprintf(msg, msg_size,
             "%s: after logoff was typed the server ended the session without saying it was a "
             "logoff (error info 0x%08X %s, want 0x%08X ERRINFO_LOGOFF_BY_USER); the session "
             "may only be disconnected",
             target, (unsigned)error_info, error_info && info_name ? info_name : "none",
             (unsigned)ERRINFO_LOGOFF_BY_USER);
    return PROBE_ERROR;
}
