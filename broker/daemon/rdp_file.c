/* SPDX-License-Identifier: Apache-2.0 */
/* .rdp files: "name:type:value" lines, CRLF-terminated. */
#include "rdp_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int clean(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

struct out {
    char *buf;
    size_t cap, len;
    int failed;
};

static void line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct out *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= o->cap - o->len) {
        o->failed = 1;
        return;
    }
    o->len += (size_t)n;
    memcpy(o->buf + o->len, "\r\n", 3);
    o->len += 2;
}

int rdp_file_build(const struct rdp_file_in *in, char *out, size_t cap)
{
    if (!in->gateway || !*in->gateway || !in->token || !*in->token || !in->username ||
        !clean(in->gateway) || !clean(in->token) || !clean(in->username) || cap == 0)
        return -1;
    struct out o = {out, cap, 0, 0};
    out[0] = '\0';
    line(&o, "full address:s:%s", in->gateway);
    /* The routing token: the gateway splices this connection to the user's VM. */
    line(&o, "loadbalanceinfo:s:Cookie: msts=%s", in->token);
    line(&o, "username:s:%s", in->username);
    /* The token path is end to end: the client does NLA with the VM with the user's own
     * password (the broker set its hash there), so the client asks for it once. */
    line(&o, "prompt for credentials:i:0");
    line(&o, "promptcredentialonce:i:1");
    line(&o, "enablecredsspsupport:i:1");
    line(&o, "negotiate security layer:i:1");
    /* Desktop VMs have self-signed certificates: warn-and-continue would still prompt
     * every time, so connect (the gateway only reaches VMs the broker assigned). */
    line(&o, "authentication level:i:0");
    /* The token is spent on the first connection: an automatic reconnect would be
     * refused, so a new file (a new token) is the way back in. */
    line(&o, "autoreconnection enabled:i:0");
    line(&o, "screen mode id:i:2");
    line(&o, "session bpp:i:32");
    line(&o, "redirectclipboard:i:1");
    line(&o, "audiomode:i:2");
    return o.failed ? -1 : 0;
}
