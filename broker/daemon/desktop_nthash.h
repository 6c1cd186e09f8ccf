/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_DESKTOP_NTHASH_H
#define DESKPOOL_BROKER_DESKTOP_NTHASH_H

/*
 * Before a routing token is handed out: the client will do NLA end to end with the VM
 * using the user's own password, so the VM's account must know it. The broker keeps only
 * the password's NT hash (sealed), so it sets that hash in the guest with the guest agent
 * extension deskpool-set-user-nthash (docs/guest-contract.md). BLOCKING (QGA).
 */
#include <stdint.h>

struct db;
struct dp_err;
struct secretbox_key;

/* Sets user user_id's NT hash for guest account `account` in VM `vm` (under state_dir).
 * 0, or -1 with err saying what failed and what to do (never the hash). */
int desktop_set_user_nthash(struct db *db, const struct secretbox_key *key, const char *state_dir,
                            const char *vm, int64_t user_id, const char *account, int timeout_ms,
                            struct dp_err *err);

#endif
