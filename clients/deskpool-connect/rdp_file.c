/* SPDX-License-Identifier: Apache-2.0 */
/* .rdp files: the routing token in loadbalanceinfo, for any RDP client (see launch.h). */
#include "launch.h"

#include "err.h"
#include "files.h"

#include <stdio.h>
#include <string.h>

/* A value ends at the line's end; a line break inside would start a new setting. */
static int plain(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return s != NULL;
}

int rdp_file_text(const struct conn_target *t, char *buf, size_t cap)
{
    if (!plain(t->gateway) || !plain(t->token) || !plain(t->user) || !*t->gateway || !*t->token)
        return -1;
    /* "prompt for credentials:i:0" + "authentication level:i:0": the client asks for the
     * password at NLA time, and the VM's certificate is its own (spliced end to end through
     * the gateway), which no pin could know in advance. */
    int n = snprintf(buf, cap,
                     "full address:s:%s\r\n"
                     "loadbalanceinfo:s:Cookie: msts=%s\r\n"
                     "username:s:%s\r\n"
                     "prompt for credentials:i:0\r\n"
                     "authentication level:i:0\r\n"
                     "enablecredsspsupport:i:1\r\n"
                     "negotiate security layer:i:1\r\n"
                     "screen mode id:i:2\r\n"
                     "session bpp:i:32\r\n"
                     "autoreconnection enabled:i:0\r\n",
                     t->gateway, t->token, t->user);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int rdp_file_write(const char *path, const struct conn_target *t, char *msg, size_t cap)
{
    char text[4096];
    struct dp_err err = {0};
    int n = rdp_file_text(t, text, sizeof text);
    if (n < 0) {
        snprintf(msg, cap,
                 "the broker's connect answer cannot go into a .rdp file (a line "
                 "break or control character in it); ask the admin");
        return -1;
    }
    int rc = dp_write_file_atomic(path, text, (size_t)n, 0600, &err);
    explicit_bzero(text, sizeof text);
    if (rc != 0) {
        snprintf(msg, cap, "cannot write the .rdp file: %s", dp_err_msg(&err));
        return -1;
    }
    return 0;
}
