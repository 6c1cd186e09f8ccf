/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DB_USER_NTHASH_H
#define DESKPOOL_BROKER_DB_USER_NTHASH_H

/*
 * A user's NT hash itself, decrypted, for one purpose: setting it in the user's desktop
 * VM (guest agent command deskpool-set-user-nthash) before a routing token is handed out,
 * because on that path the client's NLA goes end to end to the VM with the user's own
 * password. The gateway never gets this (it gets NTOWFv2, db_users.h). Never log it; wipe
 * it after use.
 */
#include <stdint.h>

struct db;
struct dp_err;
struct secretbox_key;

/* DB_OK with out filled; DB_ENOTFOUND no such user; DB_EDENIED no NT hash set (no password
 * yet); DB_EIO if it does not decrypt (err says to set the password again). */
int db_user_nt_hash(struct db *db, int64_t user_id, const struct secretbox_key *key,
                    uint8_t out[16], struct dp_err *err);

#endif
