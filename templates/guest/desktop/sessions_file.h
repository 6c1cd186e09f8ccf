/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_DESKTOP_SESSIONS_FILE_H
#define DESKPOOL_DESKTOP_SESSIONS_FILE_H

#include <stddef.h>
#include <time.h>

#include "report.h"

struct dp_err;

/*
 * The session table and the file that publishes it for the guest agent (guest-get-users):
 * one line per logged-on user's session, connected or not,
 * "USER<TAB>DOMAIN<TAB>LOGIN_EPOCH_SECONDS<TAB>SESSION_ID<TAB>active|disconnected\n",
 * empty when nobody is logged on. As on a Windows session host, a session whose client went
 * away stays (disconnected) until the user logs on again (it is resumed) or logs off.
 * The file is rewritten whole (temporary file + rename) on every change of the list, so a
 * reader sees the old list or the new one, never half of one. Only the listener process
 * writes it (connection processes report to it), so no locking is needed.
 */
enum { SESSIONS_MAX = 64, SESSIONS_NAME_MAX = 128 };

enum session_state { SESSION_ACTIVE = 1, SESSION_DISCONNECTED };

struct session_entry {
    int id; /* 0 = free slot */
    char user[SESSIONS_NAME_MAX];
    char domain[SESSIONS_NAME_MAX];
    time_t login;
    enum session_state state;
    struct session_view view; /* what its desktop shows; not in the file */
};

struct sessions {
    char path[4096];
    struct session_entry entries[SESSIONS_MAX];
    int next_id;
};

/* "active" or "disconnected", as in the file. */
const char *session_state_name(enum session_state state);

/*
 * Formats the used entries of e[0..n) into buf (NUL-terminated when cap > 0). Tabs,
 * newlines and other control characters in names become '?', so a crafted user name cannot
 * forge a line. Returns the length the full text needs (like snprintf).
 */
size_t sessions_format(const struct session_entry *e, int n, char *buf, size_t cap);

/* Creates the file's folder if needed and publishes an empty list (sessions from a previous
 * run of the server are gone with it). */
int sessions_open(struct sessions *s, const char *path, struct dp_err *err);
/*
 * Adds an active session and rewrites the file. Returns its id (> 0), or -1 when the table is
 * full. If only the rewrite failed, the id is still returned and err is set: the session is
 * real and the next rewrite will list it, so the caller logs the error and carries on.
 */
int sessions_add(struct sessions *s, const char *user, const char *domain, time_t login,
                 struct dp_err *err);
/* The session of user (names compared exactly, as the SAM file does; the domain does not
 * matter, since accounts have none), or NULL. A user has at most one session. */
struct session_entry *sessions_find_user(struct sessions *s, const char *user);
struct session_entry *sessions_find(struct sessions *s, int id);
/* Marks a session active or disconnected and rewrites the file if that changed it. Unknown
 * ids are ignored. */
int sessions_set_state(struct sessions *s, int id, enum session_state state, struct dp_err *err);
/* Keeps what the session's desktop shows (nothing is written: the file does not list it). */
void sessions_set_view(struct sessions *s, int id, const struct session_view *v);
/* Removes a session (the user logged off; unknown ids are ignored) and rewrites the file. */
int sessions_remove(struct sessions *s, int id, struct dp_err *err);
/* Publishes an empty list (used on shutdown). */
int sessions_clear(struct sessions *s, struct dp_err *err);
void sessions_close(struct sessions *s);

#endif
