/* SPDX-License-Identifier: Apache-2.0 */
#include "personalise.h"

#include "b64.h"
#include "err.h"
#include "files.h"
#include "hv.h"
#include "qga.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct pers_run {
    int pending;
    const char *vm;
    struct dp_err *err;
};

struct pers_step {
    struct pers_run *run;
    const char *what;
};

static void on_reply(struct qga_client *c, json_t *ret, const char *error, void *arg)
{
    struct pers_step *s = arg;
    if (error)
        dp_err_set(s->run->err, "VM %s: personalising (%s) failed: %s", s->run->vm, s->what, error);
    s->run->pending--;
}

int hv_personalise(struct hv *hv, const char *name, const struct hv_personalise *p, int timeout_ms,
                   struct dp_err *err)
{
    struct hv_vm_paths paths;
    if (hv->ops->paths(hv, name, &paths, err) != 0)
        return -1;
    /* Clock first: TLS certificates and logon times in the guest depend on it. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    char host[64];
    snprintf(host, sizeof host, "%s", p && p->host_name ? p->host_name : name);
    for (char *c = host; *c; c++)
        if (*c == '_')
            *c = '-'; /* VM names allow '_', host names do not */
    int cred = p && p->user && p->password;
    /* A restored clone has its parent's kernel RNG state: fresh bytes from the host, reseeded
     * at once, so clones of one parent never draw the same keys (guestd cmd_entropy.c). */
    uint8_t seed[64];
    char seed_b64[sizeof seed / 3 * 4 + 8];
    json_t *entropy = NULL;
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed) {
        dp_b64_encode(seed, sizeof seed, seed_b64, 1);
        entropy = json_pack("{s:s}", "data", seed_b64);
    }
    explicit_bzero(seed, sizeof seed);
    explicit_bzero(seed_b64, sizeof seed_b64);
    enum { STEPS = 4 };
    struct {
        const char *what, *cmd;
        json_t *args;
    } steps[STEPS] = {
        {"clock", "guest-set-time", qga_args_set_time(ns)},
        {"entropy", "deskpool-add-entropy", entropy},
        {"host name", "deskpool-set-host-name", qga_args_set_host_name(host)},
        {"credential", "guest-set-user-password",
         cred ? qga_args_set_user_password(p->user, p->password) : NULL},
    };
    int n = cred ? STEPS : STEPS - 1;
    struct pers_run run = {0, name, err};
    struct pers_step ctx[STEPS];
    /* One connection and one agent resync for all steps: each resync is a round trip to a
     * guest whose code is not yet translated again after a restore. */
    struct event_base *base = event_base_new();
    struct qga_client *c = base ? qga_open(base, paths.qga, err) : NULL;
    int rc = c ? 0 : -1;
    for (int i = 0; i < STEPS; i++) {
        if (rc == 0 && i < n) {
            ctx[i] = (struct pers_step){&run, steps[i].what};
            if (!steps[i].args) {
                dp_err_set(err, "VM %s: personalising (%s): invalid value", name, steps[i].what);
                rc = -1;
            } else if (qga_execute(c, steps[i].cmd, steps[i].args, timeout_ms, on_reply, &ctx[i],
                                   err) == 0) {
                run.pending++;
            } else {
                rc = -1;
            }
            steps[i].args = NULL; /* stolen by qga_execute */
        }
        json_decref(steps[i].args);
    }
    while (run.pending > 0 && event_base_loop(base, EVLOOP_ONCE) == 0)
        ;
    if (c)
        qga_close(c);
    if (base)
        event_base_free(base);
    return rc == 0 && !err->set ? 0 : -1;
}
