/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_PERSONALISE_H
#define DESKPOOL_HV_PERSONALISE_H

struct hv;
struct dp_err;

/*
 * What makes a clone this desktop rather than a copy of its parent, applied over the
 * guest agent. Every restored clone starts with the parent's host name and with the clock
 * the parent had when saved (minutes or days ago), so the clock is always set.
 */
struct hv_personalise {
    const char *host_name; /* NULL: the VM name (underscores become '-') */
    const char *user;      /* optional one-time credential: both or neither */
    const char *password;
};

/* Sets the guest clock to the host's, reseeds its RNG, sets the host name and the credential.
 * timeout_ms covers it all. err names the step that failed. */
int hv_personalise(struct hv *hv, const char *name, const struct hv_personalise *p, int timeout_ms,
                   struct dp_err *err);

#endif
