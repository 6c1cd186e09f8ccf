/* SPDX-License-Identifier: Apache-2.0 */
/* The user's NT hash into their desktop VM, over QGA (see desktop_nthash.h for why). */
#include "desktop_nthash.h"
#include "err.h"
#include "hv.h"
#include "qga.h"
#include "store/db.h"
#include "store/db_user_nthash.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

int desktop_set_user_nthash(struct db *db, const struct secretbox_key *key, const char *state_dir,
                            const char *vm, int64_t user_id, const char *account, int timeout_ms,
                            struct dp_err *err)
{
    uint8_t nt[16];
    char hex[33];
    if (db_user_nt_hash(db, user_id, key, nt, err) != DB_OK)
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", nt[i]);
    OPENSSL_cleanse(nt, sizeof nt);
    struct hv *hv = hv_qemu_open(state_dir, err);
    struct hv_vm_paths p;
    int rc = -1;
    if (hv && hv->ops->paths(hv, vm, &p, err) == 0) {
        json_t *args = json_pack("{s:s,s:s}", "username", account, "nt-hash", hex);
        struct dp_err qerr = {0};
        json_t *ret =
            args ? qga_call(p.qga, "deskpool-set-user-nthash", args, timeout_ms, &qerr) : NULL;
        if (ret) {
            rc = 0;
            json_decref(ret);
        } else {
            dp_err_set(err,
                       "desktop %s: the guest agent did not take your password for account "
                       "\"%s\" (%s); the template's agent needs deskpool-set-user-nthash "
                       "(docs/guest-contract.md); ask an admin",
                       vm, account, args ? dp_err_msg(&qerr) : "out of memory");
        }
    }
    if (hv)
        hv->ops->close(hv);
    OPENSSL_cleanse(hex, sizeof hex);
    return rc;
}
