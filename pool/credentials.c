/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-time credentials for a desktop: a fresh random password per assignment, set in the
 * guest over its agent and handed to the gateway once. Never stored, never logged.
 */
#include "pool_internal.h"

#include "err.h"
#include "qga.h"

#include <string.h>
#include <sys/random.h>

int cred_make_password(char *out, size_t len, struct dp_err *err)
{
    /* Letters and digits only: every RDP client, keyboard layout and SAM file takes them.
     * 62^23 > 2^136, far beyond guessing within a claim's lifetime. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i + 1 < len) {
        unsigned char buf[64];
        if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf) {
            dp_err_errno(err, "cannot read random bytes for a one-time password");
            explicit_bzero(out, len);
            return -1;
        }
        /* 248 = 4 * 62: rejecting bytes above it keeps every character equally likely. */
        for (size_t k = 0; k < sizeof buf && i + 1 < len; k++)
            if (buf[k] < 248)
                out[i++] = alphabet[buf[k] % 62];
        explicit_bzero(buf, sizeof buf);
    }
    out[i] = '\0';
    return 0;
}

int cred_set_password_qga(struct hv *hv, const char *vm, const char *account, const char *password,
                          int timeout_ms, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (hv->ops->paths(hv, vm, &p, err) != 0)
        return -1;
    json_t *args = qga_args_set_user_password(account, password);
    if (!args) {
        dp_err_set(err, "VM %s: cannot build guest-set-user-password for account \"%s\"", vm,
                   account);
        return -1;
    }
    struct dp_err qerr = {0};
    json_t *r = qga_call(p.qga, "guest-set-user-password", args, timeout_ms, &qerr);
    if (!r) {
        dp_err_set(err,
                   "VM %s: the guest agent did not set the password of account \"%s\" (%s); "
                   "check the template's guest agent (docs/guest-contract.md)",
                   vm, account, dp_err_msg(&qerr));
        return -1;
    }
    json_decref(r);
    return 0;
}
