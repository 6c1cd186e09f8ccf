/* SPDX-License-Identifier: Apache-2.0 */
/* The fake hypervisor: in-memory VMs behind struct hv_ops, with knobs (see hv_fake.h). */
#include "hv_fake.h"

#include "err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fake_vm {
    struct hv_vm_spec spec;
    int running;
    int pid;
    int disk_gen;
    char user[64];
    char password[64];
    int has_password;
};

/* struct hv comes first, so the driver's functions can cast back. */
struct hv_fake {
    struct hv hv;
    pthread_mutex_t mu;
    struct fake_vm *vms;
    size_t n, cap;
    int next_pid;
    int start_delay_ms, ready_delay_ms;
    int fail_starts, fail_defines, fail_ready;
    struct hv_fake_counts counts;
};

static struct hv_fake *fake(struct hv *hv)
{
    return (struct hv_fake *)hv;
}

static void nap_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Caller holds mu. */
static struct fake_vm *find(struct hv_fake *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->vms[i].spec.name, name) == 0)
            return &f->vms[i];
    return NULL;
}

static int no_vm(const char *name, struct dp_err *err)
{
    dp_err_set(err, "no VM named %s in the fake hypervisor", name);
    return -1;
}

static int fake_define(struct hv *hv, const struct hv_vm_spec *spec, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    f->counts.define++;
    if (!hv_name_valid(spec->name)) {
        dp_err_set(err, "fake: invalid VM name \"%s\"", spec->name);
        rc = -1;
    } else if (find(f, spec->name)) {
        dp_err_set(err, "VM %s already exists in the fake hypervisor; destroy it first",
                   spec->name);
        rc = -1;
    } else if (f->fail_defines > 0) {
        f->fail_defines--;
        dp_err_set(err, "fake: define of %s failed on purpose (fail_defines knob)", spec->name);
        rc = -1;
    } else {
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 16;
            struct fake_vm *g = realloc(f->vms, cap * sizeof *g);
            if (!g) {
                pthread_mutex_unlock(&f->mu);
                dp_err_set(err, "fake: out of memory");
                return -1;
            }
            f->vms = g;
            f->cap = cap;
        }
        struct fake_vm *v = &f->vms[f->n++];
        memset(v, 0, sizeof *v);
        v->spec = *spec;
        v->disk_gen = 1;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_start(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.start++;
    int delay = f->start_delay_ms;
    pthread_mutex_unlock(&f->mu);
    nap_ms(delay); /* outside the lock: starts of different VMs overlap, as with QEMU */
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int rc = 0;
    if (!v) {
        rc = no_vm(name, err);
    } else if (v->running) {
        dp_err_set(err, "VM %s is already running (pid %d)", name, v->pid);
        rc = -1;
    } else if (f->fail_starts > 0) {
        f->fail_starts--;
        dp_err_set(err, "fake: start of %s failed on purpose (fail_starts knob)", name);
        rc = -1;
    } else {
        v->running = 1;
        v->pid = ++f->next_pid;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* stop and kill: the guest is off at once. Stopping a VM that is off is not an error. */
static int power_off(struct hv *hv, const char *name, int *counter, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    (*counter)++;
    struct fake_vm *v = find(f, name);
    int rc = v ? 0 : no_vm(name, err);
    if (v) {
        v->running = 0;
        v->pid = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_stop(struct hv *hv, const char *name, int timeout_ms, struct dp_err *err)
{
    return power_off(hv, name, &fake(hv)->counts.stop, err);
}

static int fake_kill(struct hv *hv, const char *name, struct dp_err *err)
{
    return power_off(hv, name, &fake(hv)->counts.kill, err);
}

static int fake_destroy(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.destroy++;
    struct fake_vm *v = find(f, name);
    int rc = v ? 0 : no_vm(name, err);
    if (v)
        *v = f->vms[--f->n];
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_reset_disk(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.reset_disk++;
    struct fake_vm *v = find(f, name);
    int rc = v ? 0 : no_vm(name, err);
    if (v && v->running) {
        dp_err_set(err, "VM %s is running; stop it before resetting its disk", name);
        rc = -1;
    } else if (v) {
        v->disk_gen++;
        v->has_password = 0; /* the guest's credentials lived on the old disk */
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Caller holds mu. */
static void fill_status(const struct fake_vm *v, struct hv_vm_status *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", v->spec.name);
    out->state = v->running ? HV_VM_RUNNING : HV_VM_DEFINED;
    out->pid = v->pid;
    out->rdp_port = v->spec.rdp_port;
    out->rss_kb = v->running ? 1024 : 0;
}

static int fake_status(struct hv *hv, const char *name, struct hv_vm_status *out,
                       struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.status++;
    struct fake_vm *v = find(f, name);
    int rc = v ? 0 : no_vm(name, err);
    if (v)
        fill_status(v, out);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_list(struct hv *hv, struct hv_vm_status **out, size_t *n, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.list++;
    *n = 0;
    *out = malloc((f->n ? f->n : 1) * sizeof **out);
    if (!*out) {
        pthread_mutex_unlock(&f->mu);
        dp_err_set(err, "fake: out of memory");
        return -1;
    }
    for (size_t i = 0; i < f->n; i++)
        fill_status(&f->vms[i], &(*out)[(*n)++]);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static int fake_attach(struct hv *hv, const char *name, struct hv_vm_spec *spec, struct dp_err *err)
{
    return hv_fake_spec(hv, name, spec) == 0 ? 0 : no_vm(name, err);
}

static int fake_set_rdp_port(struct hv *hv, const char *name, int port, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int rc = v ? 0 : no_vm(name, err);
    if (v && v->running) {
        dp_err_set(err, "VM %s is running; stop it before moving its RDP port", name);
        rc = -1;
    } else if (v) {
        v->spec.rdp_port = port;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fake_paths(struct hv *hv, const char *name, struct hv_vm_paths *out, struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->dir, sizeof out->dir, "%s/vms/%s", hv->state_dir, name);
    snprintf(out->serial, sizeof out->serial, "%s/vms/%s/serial.log", hv->state_dir, name);
    return 0;
}

static void fake_close(struct hv *hv)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_destroy(&f->mu);
    free(f->vms);
    free(f);
}

static const struct hv_ops fake_ops = {
    .name = "fake",
    .define = fake_define,
    .start = fake_start,
    .stop = fake_stop,
    .kill = fake_kill,
    .destroy = fake_destroy,
    .reset_disk = fake_reset_disk,
    .status = fake_status,
    .list = fake_list,
    .attach = fake_attach,
    .paths = fake_paths,
    .set_rdp_port = fake_set_rdp_port,
    .close = fake_close,
};

struct hv *hv_fake_open(const char *state_dir, struct dp_err *err)
{
    struct hv_fake *f = calloc(1, sizeof *f);
    if (!f) {
        dp_err_set(err, "out of memory");
        return NULL;
    }
    f->hv.ops = &fake_ops;
    snprintf(f->hv.state_dir, sizeof f->hv.state_dir, "%s", state_dir ? state_dir : "");
    snprintf(f->hv.qemu, sizeof f->hv.qemu, "fake");
    pthread_mutex_init(&f->mu, NULL);
    f->next_pid = 1000;
    return &f->hv;
}

void hv_fake_counts(struct hv *hv, struct hv_fake_counts *out)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    *out = f->counts;
    pthread_mutex_unlock(&f->mu);
}

void hv_fake_reset_counts(struct hv *hv)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    memset(&f->counts, 0, sizeof f->counts);
    pthread_mutex_unlock(&f->mu);
}

/* Sets one int knob under the lock. */
static void knob(struct hv *hv, int *field, int value)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    *field = value;
    pthread_mutex_unlock(&f->mu);
}

void hv_fake_set_start_delay_ms(struct hv *hv, int ms)
{
    knob(hv, &fake(hv)->start_delay_ms, ms);
}

void hv_fake_set_ready_delay_ms(struct hv *hv, int ms)
{
    knob(hv, &fake(hv)->ready_delay_ms, ms);
}

void hv_fake_fail_starts(struct hv *hv, int n)
{
    knob(hv, &fake(hv)->fail_starts, n);
}

void hv_fake_fail_defines(struct hv *hv, int n)
{
    knob(hv, &fake(hv)->fail_defines, n);
}

void hv_fake_fail_ready(struct hv *hv, int n)
{
    knob(hv, &fake(hv)->fail_ready, n);
}

int hv_fake_die(struct hv *hv, const char *name)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int rc = v && v->running ? 0 : -1;
    if (rc == 0) {
        v->running = 0;
        v->pid = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int hv_fake_count(struct hv *hv, int *running)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    int n = (int)f->n, r = 0;
    for (size_t i = 0; i < f->n; i++)
        r += f->vms[i].running;
    pthread_mutex_unlock(&f->mu);
    if (running)
        *running = r;
    return n;
}

int hv_fake_disk_gen(struct hv *hv, const char *name)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int gen = v ? v->disk_gen : 0;
    pthread_mutex_unlock(&f->mu);
    return gen;
}

int hv_fake_spec(struct hv *hv, const char *name, struct hv_vm_spec *out)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    if (v)
        *out = v->spec;
    pthread_mutex_unlock(&f->mu);
    return v ? 0 : -1;
}

int hv_fake_password(struct hv *hv, const char *name, char *user, size_t ucap, char *pw,
                     size_t pcap)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int rc = v && v->has_password ? 0 : -1;
    if (rc == 0) {
        snprintf(user, ucap, "%s", v->user);
        snprintf(pw, pcap, "%s", v->password);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int hv_fake_wait_ready(struct hv *hv, const char *name, int timeout_ms, int need_rdp,
                       struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.wait_ready++;
    int delay = f->ready_delay_ms;
    pthread_mutex_unlock(&f->mu);
    nap_ms(delay < timeout_ms ? delay : timeout_ms);
    pthread_mutex_lock(&f->mu);
    struct fake_vm *v = find(f, name);
    int rc = delay;
    if (!v) {
        rc = no_vm(name, err);
    } else if (!v->running) {
        dp_err_set(err, "VM %s stopped while booting (fake)", name);
        rc = -1;
    } else if (f->fail_ready > 0 || delay > timeout_ms) {
        if (f->fail_ready > 0)
            f->fail_ready--;
        dp_err_set(err, "VM %s not ready after %d ms (fake: guest agent never answered)", name,
                   timeout_ms);
        rc = -1;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int hv_fake_set_password(struct hv *hv, const char *name, const char *user, const char *password,
                         int timeout_ms, struct dp_err *err)
{
    struct hv_fake *f = fake(hv);
    pthread_mutex_lock(&f->mu);
    f->counts.set_password++;
    struct fake_vm *v = find(f, name);
    int rc = 0;
    if (!v || !v->running) {
        dp_err_set(err, "VM %s: guest agent unreachable (fake VM %s)", name,
                   v ? "not running" : "missing");
        rc = -1;
    } else {
        snprintf(v->user, sizeof v->user, "%s", user);
        snprintf(v->password, sizeof v->password, "%s", password);
        v->has_password = 1;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}
