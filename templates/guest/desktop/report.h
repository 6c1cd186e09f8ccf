/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_REPORT_H
#define DESKPOOL_DESKTOP_REPORT_H

#include <stddef.h>
#include <time.h>

/*
 * The messages between a connection's process and the listener process, one per packet of
 * their SOCK_SEQPACKET socketpair, tab-separated text without a newline:
 *
 *   child -> listener
 *     UP<TAB>user<TAB>domain<TAB>login-epoch     NLA done, desktop about to show; the
 *                                                listener answers SESSION
 *     STATE<TAB>clicks<TAB>keys<TAB>line<TAB>last  what the desktop shows now (kept by the
 *                                                listener, so it outlives this process)
 *     LOGOFF                                     the user logged off; the listener ends the
 *                                                session, rewrites the users file, answers BYE
 *   listener -> child
 *     SESSION<TAB>id<TAB>login<TAB>resumed<TAB>clicks<TAB>keys<TAB>line<TAB>last
 *                                                the session to show (resumed = 1: a
 *                                                disconnected one, with its state)
 *     BYE                                        the logoff is published
 *     KICK<TAB>other|admin                       the session went to another connection of
 *                                                the same user, or an admin logged it off
 *
 * A connection that ends without LOGOFF (client gone, process crashed) leaves its session
 * disconnected: the listener notices when the socket closes.
 */
enum {
    REPORT_FIELD_MAX = 256,
    REPORT_TEXT_MAX = 121, /* a typed line: SCENE_LINE_MAX + 1 */
    REPORT_LINE_MAX = 2 * REPORT_FIELD_MAX + 2 * REPORT_TEXT_MAX + 96,
};

/* What the desktop of a session shows, beyond who and since when. */
struct session_view {
    unsigned clicks, keys;
    char line[REPORT_TEXT_MAX];      /* being typed */
    char last_line[REPORT_TEXT_MAX]; /* last one entered */
};

enum report_kind {
    REPORT_UP = 1,
    REPORT_STATE,
    REPORT_LOGOFF,
    REPORT_SESSION,
    REPORT_BYE,
    REPORT_KICK,
};

enum report_kick { KICK_OTHER_CONNECTION = 1, KICK_ADMIN_LOGOFF };

/* One parsed message; which fields are set depends on kind. */
struct report_msg {
    enum report_kind kind;
    char user[REPORT_FIELD_MAX];   /* UP */
    char domain[REPORT_FIELD_MAX]; /* UP */
    long long login;               /* UP, SESSION */
    int session_id;                /* SESSION (0: the session could not be listed) */
    int resumed;                   /* SESSION */
    struct session_view view;      /* STATE, SESSION */
    enum report_kick kick;         /* KICK */
};

/*
 * Each formatter writes one message into buf (at least REPORT_LINE_MAX bytes), NUL-terminated,
 * and returns its length without the NUL, or -1 if it does not fit (a name longer than
 * REPORT_FIELD_MAX - 1 bytes). Control characters in text become '?', so nothing can add a
 * field.
 */
int report_format_up(char *buf, size_t cap, const char *user, const char *domain, time_t login);
int report_format_state(char *buf, size_t cap, const struct session_view *v);
int report_format_logoff(char *buf, size_t cap);
int report_format_session(char *buf, size_t cap, int id, time_t login, int resumed,
                          const struct session_view *v);
int report_format_bye(char *buf, size_t cap);
int report_format_kick(char *buf, size_t cap, enum report_kick why);

/* Parses one message (len bytes, no terminator needed). Returns 0, or -1 if malformed. */
int report_parse_msg(const char *msg, size_t len, struct report_msg *out);

#endif
