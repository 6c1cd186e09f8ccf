/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_LAUNCH_H
#define DESKPOOL_CONNECT_LAUNCH_H

/* What a connection is handed to: a .rdp file (rdp_file.c) or xfreerdp (xfreerdp.c). */
#include <stddef.h>

struct conn_target {
    const char *gateway; /* "HOST:PORT" of deskpool-gw */
    const char *token;   /* one-time routing token */
    const char *user;
    const char *vm; /* for the window title; may be NULL */
};

/*
 * The .rdp file for t (CRLF lines, what mstsc, Remmina and xfreerdp read): full address, the
 * token as loadbalanceinfo, the user name, NLA on. Returns its length, or -1 if it does not fit
 * or a value holds a line break or a character a .rdp file cannot carry. Pure.
 */
int rdp_file_text(const struct conn_target *t, char *buf, size_t cap);
/* Writes it to path with mode 0600 (it holds the token). Returns 0 or -1 + msg. */
int rdp_file_write(const char *path, const struct conn_target *t, char *msg, size_t cap);

#define XF_MAX_ARGS 64

/*
 * xfreerdp's argv for t: /v:, /load-balance-info:Cookie: msts=TOKEN, /u:, /from-stdin (the
 * password comes on its standard input, never in argv), /cert:ignore (see README: the VM's
 * own certificate, end to end), a title, then extra (the user's options after --). Strings
 * are malloc'd into argv (NULL-terminated); free with xf_argv_free. Returns argc or -1. Pure.
 */
int xf_argv(const char *client, const struct conn_target *t, char *const *extra, int nextra,
            char **argv);
void xf_argv_free(char **argv);

/* The client's path: client itself if it has a '/', else searched in $PATH. 0 or -1. */
int xf_find(const char *client, char *path, size_t cap);

/*
 * Replaces this process with the client, the password on its standard input (one line, then
 * EOF). Returns only on failure, with msg.
 */
void xf_exec(const char *path, char **argv, const char *password, char *msg, size_t cap);

#endif
