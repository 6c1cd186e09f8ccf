/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GW_SESSION_JOURNAL_H
#define DESKPOOL_GW_SESSION_JOURNAL_H

/*
 * The gateway's only state: the ids of the sessions it relays right now, one empty file per
 * session in STATE_DIR/sessions-HOST-PORT/. A gateway that is killed (SIGKILL, OOM, power)
 * cannot tell the broker its sessions ended; the next one started on the same listen
 * address finds the files and reports those sessions disconnected, so the broker starts
 * their disconnect timeout instead of keeping them "connected" forever. A file goes away
 * once the broker has acknowledged the session's end.
 *
 * The folder is locked (flock) while a gateway runs, so a second gateway with the same
 * state_dir and listen address cannot report the first one's live sessions as ended.
 */
#include <stddef.h>

struct dp_err;
struct gw_journal;

/* Opens (creates) and locks the folder for this listen address. NULL with err saying what
 * to do when it cannot be made or another gateway holds it. */
struct gw_journal *gw_journal_open(const char *state_dir, const char *listen_host, int port,
                                   struct dp_err *err);
/* Unlocks; the files stay for the next start. */
void gw_journal_close(struct gw_journal *j);

/* The folder (for messages). */
const char *gw_journal_dir(const struct gw_journal *j);

/* Records a live session (id: the broker's session id, [A-Za-z0-9_-] only). 0, or -1 with
 * err (the session still runs; it is only not recoverable after a crash). */
int gw_journal_add(struct gw_journal *j, const char *session_id, struct dp_err *err);

/* Forgets a session (its end is known to the broker). Unknown ids are ignored. */
void gw_journal_remove(struct gw_journal *j, const char *session_id);

/* Whether session_id has a file. */
int gw_journal_has(const struct gw_journal *j, const char *session_id);

/*
 * The session ids found in the folder: call right after open, before any session is added,
 * to get what a previous gateway left. *ids is a malloc'd array of malloc'd strings
 * (gw_journal_free_ids). Returns the count, or -1 with err.
 */
int gw_journal_list(const struct gw_journal *j, char ***ids, struct dp_err *err);
void gw_journal_free_ids(char **ids, int n);

/* Whether s is a session id the journal accepts (and a URL path segment). */
int gw_journal_id_ok(const char *s);

#endif
