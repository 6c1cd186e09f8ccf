/* SPDX-License-Identifier: Apache-2.0 */
/* The broker's address as users type it (pure; see connect.h). */
#include "connect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int broker_addr_parse(const char *s, struct broker_addr *a, char *msg, size_t cap)
{
    memset(a, 0, sizeof *a);
    const char *p = s;
    if (strncasecmp(p, "https://", 8) == 0)
        p += 8;
    else if (strstr(p, "://")) {
        snprintf(msg, cap, "broker \"%s\": only https:// is spoken (the password goes there)", s);
        return -1;
    }
    size_t n = strcspn(p, "/");
    if (p[n] == '/' && p[n + 1] != '\0') {
        snprintf(msg, cap, "broker \"%s\": give only https://HOST[:PORT], no path", s);
        return -1;
    }
    const char *host = p, *port = NULL;
    size_t hlen;
    if (*p == '[') {
        const char *close = memchr(p, ']', n);
        if (!close || close == p + 1) {
            snprintf(msg, cap, "broker \"%s\": unterminated [IPv6] address", s);
            return -1;
        }
        host = p + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < p + n) {
            if (close[1] != ':') {
                snprintf(msg, cap, "broker \"%s\": expected :PORT after ]", s);
                return -1;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon && memchr(colon + 1, ':', (size_t)(p + n - colon - 1))) {
            snprintf(msg, cap, "broker \"%s\": write IPv6 addresses as [ADDR]:PORT", s);
            return -1;
        }
        hlen = colon ? (size_t)(colon - p) : n;
        if (colon)
            port = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof a->host) {
        snprintf(msg, cap, "broker \"%s\": %s", s, hlen ? "host name too long" : "no host name");
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        char ch = host[i];
        if (ch <= ' ' || ch == '@' || ch == '?' || ch == '#' || ch == '\\' || ch == '[' ||
            ch == ']' || ch == 127) {
            snprintf(msg, cap, "broker \"%s\": the host name holds a character it cannot", s);
            return -1;
        }
    }
    memcpy(a->host, host, hlen);
    a->port = CONN_DEFAULT_PORT;
    if (port) {
        size_t plen = (size_t)(p + n - port);
        char digits[8];
        char *end;
        if (plen == 0 || plen >= sizeof digits)
            goto bad_port;
        memcpy(digits, port, plen);
        digits[plen] = '\0';
        errno = 0;
        unsigned long v = strtoul(digits, &end, 10);
        if (*end || errno || v == 0 || v > 65535 || digits[0] == '-' || digits[0] == '+')
            goto bad_port;
        a->port = (unsigned)v;
    }
    snprintf(a->canon, sizeof a->canon, strchr(a->host, ':') ? "https://[%s]:%u" : "https://%s:%u",
             a->host, a->port);
    return 0;
bad_port:
    snprintf(msg, cap, "broker \"%s\": the port must be a number from 1 to 65535", s);
    return -1;
}
