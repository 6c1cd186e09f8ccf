/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU backend of struct hv_ops: one daemonized QEMU per VM, everything about the VM
 * under state_dir/vms/NAME/. The process outlives its caller; the folder (spec.json,
 * qemu.pid, qmp.sock) is how any later process finds it again.
 */
#include "hv.h"

#include "err.h"
#include "files.h"
#include "log.h"
#include "overlay.h"
#include "proc.h"
#include "qemu_argv.h"
#include "qmp.h"
#include "restore.h"
#include "spec_json.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 3000

static int vm_paths(struct hv *hv, const char *name, struct hv_vm_paths *p, struct dp_err *err)
{
    if (!hv_name_valid(name)) {
        dp_err_set(err,
                   "invalid VM name \"%s\": use 1-63 characters a-z, 0-9, '-' or '_', starting "
                   "with a letter or digit",
                   name);
        return -1;
    }
    memset(p, 0, sizeof *p);
    int n = snprintf(p->dir, sizeof p->dir, "%s/vms/%s", hv->state_dir, name);
    snprintf(p->disk, sizeof p->disk, "%s/disk.qcow2", p->dir);
    snprintf(p->qmp, sizeof p->qmp, "%s/qmp.sock", p->dir);
    snprintf(p->qga, sizeof p->qga, "%s/qga.sock", p->dir);
    snprintf(p->serial, sizeof p->serial, "%s/serial.log", p->dir);
    snprintf(p->pidfile, sizeof p->pidfile, "%s/qemu.pid", p->dir);
    snprintf(p->spec, sizeof p->spec, "%s/spec.json", p->dir);
    snprintf(p->restore_marker, sizeof p->restore_marker, "%s/restore.pending", p->dir);
    /* Unix socket paths are limited to sun_path (108 bytes); QEMU would fail obscurely. */
    if (n < 0 || strlen(p->qmp) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        dp_err_set(err,
                   "state directory %s is too deep for VM sockets (limit %zu bytes); use a "
                   "shorter --state path",
                   hv->state_dir, sizeof(((struct sockaddr_un *)0)->sun_path) - 16);
        return -1;
    }
    return 0;
}

/* The pid of the VM's QEMU if it runs, else 0. The socket path in its command line proves
 * the pid was not reused by another process. */
static int vm_pid(const struct hv_vm_paths *p)
{
    int pid = proc_read_pidfile(p->pidfile);
    return pid && proc_alive_with(pid, p->qmp) ? pid : 0;
}

static int qemu_define(struct hv *hv, const struct hv_vm_spec *spec, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (vm_paths(hv, spec->name, &p, err) != 0)
        return -1;
    if (dp_path_exists(p.spec)) {
        dp_err_set(err, "VM %s already exists in %s; destroy it first (deskpool-hv vm destroy %s)",
                   spec->name, p.dir, spec->name);
        return -1;
    }
    /* A folder without spec.json is what a define cut short (process killed) left: spec.json
     * is written last and removed last (remove_vm_dir), so no QEMU runs from it and nothing
     * else can find it. Left there, it would refuse this VM for good. */
    if (dp_path_exists(p.dir)) {
        log_warn("VM %s: removing %s, left half made or half removed by a process that died",
                 spec->name, p.dir);
        if (dp_remove_tree(p.dir, err) != 0)
            return -1;
    }
    if (spec->vcpus < 1 || spec->vcpus > 64 || spec->memory_mb < 64 || spec->memory_mb > 262144) {
        dp_err_set(err, "VM %s: %d vCPUs and %d MiB are out of range (1-64 vCPUs, 64 MiB-256 GiB)",
                   spec->name, spec->vcpus, spec->memory_mb);
        return -1;
    }
    if (spec->kernel[0] && access(spec->kernel, R_OK) != 0) {
        dp_err_errno(err, "VM %s: kernel %s cannot be read; rebuild or re-import the template",
                     spec->name, spec->kernel);
        return -1;
    }
    if (spec->initrd[0] && access(spec->initrd, R_OK) != 0) {
        dp_err_errno(err, "VM %s: initrd %s cannot be read; rebuild or re-import the template",
                     spec->name, spec->initrd);
        return -1;
    }
    if (dp_mkdirs(p.dir, 0750, err) != 0)
        return -1;
    if (overlay_create(hv->qemu_img, spec->base, p.disk, err) != 0 ||
        hv_spec_save(spec, p.spec, err) != 0 ||
        (spec->incoming[0] && dp_write_file_atomic(p.restore_marker, "", 0, 0644, err) != 0)) {
        dp_remove_tree(p.dir, NULL); /* leave no stray folder or overlay behind */
        return -1;
    }
    return 0;
}

/* Refuses a host port that is already taken, before QEMU fails on it less clearly. "Taken"
 * as QEMU sees it: slirp binds its hostfwd listener with SO_REUSEADDR, so a port held only by
 * connections (TIME_WAIT of an earlier VM on it, an outgoing connection's ephemeral port in
 * this range) is free for it, and refusing it would fail starts that would work. */
static int port_free(int port, const char *vm, struct dp_err *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    close(fd);
    if (rc != 0 && e == EADDRINUSE) {
        dp_err_set(err,
                   "VM %s: port %d on 127.0.0.1 is already in use (another VM or service); pick "
                   "another port (deskpool-hv vm create ... --rdp-port N)",
                   vm, port);
        return -1;
    }
    return 0;
}

static int qemu_start(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_vm_paths p;
    struct hv_vm_spec spec;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    if (!dp_path_exists(p.spec)) {
        dp_err_set(err, "no VM named %s in %s; create it first (deskpool-hv vm create %s ...)",
                   name, hv->state_dir, name);
        return -1;
    }
    if (hv_spec_load(&spec, p.spec, err) != 0)
        return -1;
    if (vm_pid(&p)) {
        dp_err_set(err, "VM %s is already running (pid %d)", name, vm_pid(&p));
        return -1;
    }
    if (!hv->qemu[0]) {
        dp_err_set(err, "QEMU not found (qemu-system-x86_64 is not in PATH); install it: "
                        "apt-get install qemu-system-x86");
        return -1;
    }
    struct dp_err ierr = {0};
    if (overlay_check_chain(hv->qemu_img, p.disk, &ierr) != 0) {
        dp_err_set(err,
                   "VM %s: its disk or the template base behind it is missing or corrupt "
                   "(%s); reset the disk (deskpool-hv vm reset %s) or re-import the template",
                   name, dp_err_msg(&ierr), name);
        return -1;
    }
    if (spec.net == HV_NET_USER && spec.rdp_port > 0 && port_free(spec.rdp_port, name, err) != 0)
        return -1;
    /* An instant clone restores only onto the overlay it was cloned with; once that has run
     * (or a restore was abandoned) the parent's RAM no longer matches it: boot cold. */
    int restore = spec.incoming[0] && dp_path_exists(p.restore_marker);
    if (spec.incoming[0] && !restore) {
        log_info("VM %s: its disk has run since it was cloned; cold boot instead of restore", name);
        spec.incoming[0] = '\0';
        spec.mem_file[0] = '\0';
    }
    /* Stale runtime files from a VM that died would confuse the next attach. */
    unlink(p.pidfile);
    unlink(p.qmp);
    unlink(p.qga);
    enum hv_accel accel = hv_accel_resolve(spec.accel, "/proc/cpuinfo", "/dev/kvm");
    struct qemu_argv *a = malloc(sizeof *a);
    if (!a || qemu_argv_build(a, hv->qemu, &spec, &p, accel, err) != 0) {
        free(a);
        return -1;
    }
    char errbuf[2048];
    int rc = proc_run(a->argv, NULL, 0, errbuf, sizeof errbuf, err);
    free(a);
    if (rc != 0) {
        int pid = proc_read_pidfile(p.pidfile);
        if (pid && proc_alive_with(pid, p.qmp))
            kill(pid, SIGKILL);
        unlink(p.pidfile);
        if (rc > 0) {
            char *nl = strchr(errbuf, '\n');
            if (nl && nl[1] == '\0')
                *nl = '\0';
            dp_err_set(err, "QEMU refused to start VM %s: %s", name,
                       errbuf[0] ? errbuf : "(no message; see the serial log)");
        }
        return -1;
    }
    if (restore) {
        unlink(p.restore_marker); /* from now on the overlay may change */
        if (spec.mem_file[0] && hv_restore_begin(p.qmp, spec.incoming, QMP_TIMEOUT_MS, err) != 0) {
            int pid = proc_read_pidfile(p.pidfile);
            if (pid && proc_alive_with(pid, p.qmp))
                kill(pid, SIGKILL);
            unlink(p.pidfile);
            return -1;
        }
    }
    log_info("VM %s started (pid %d, accel %s%s)", name, proc_read_pidfile(p.pidfile),
             hv_accel_name(accel), restore ? ", restoring saved state" : "");
    return 0;
}

/* Sends a QMP command whose reply we do not need; reports whether QEMU took it. */
static int qmp_fire(const struct hv_vm_paths *p, const char *cmd, struct dp_err *err)
{
    json_t *r = qmp_call(p->qmp, cmd, NULL, QMP_TIMEOUT_MS, err);
    if (!r)
        return -1;
    json_decref(r);
    return 0;
}

static int force_off(const struct hv_vm_paths *p, int pid, const char *name, struct dp_err *err)
{
    kill(pid, SIGTERM); /* QEMU exits cleanly on SIGTERM, closing its disk */
    if (proc_wait_gone(pid, 3000) == 0)
        return 0;
    kill(pid, SIGKILL);
    if (proc_wait_gone(pid, 3000) == 0)
        return 0;
    dp_err_set(err, "VM %s: QEMU pid %d does not die even on SIGKILL; check the host (D state?)",
               name, pid);
    (void)p;
    return -1;
}

static void cleanup_runtime(const struct hv_vm_paths *p)
{
    unlink(p->pidfile);
    unlink(p->qmp);
    unlink(p->qga);
}

static int qemu_stop(struct hv *hv, const char *name, int timeout_ms, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    int pid = vm_pid(&p);
    if (!pid) {
        cleanup_runtime(&p);
        return 0; /* already off: stopping is idempotent */
    }
    struct dp_err qerr = {0};
    if (qmp_fire(&p, "system_powerdown", &qerr) == 0 && proc_wait_gone(pid, timeout_ms) == 0) {
        cleanup_runtime(&p);
        return 0;
    }
    log_warn("VM %s did not power down within %d ms%s%s; forcing it off", name, timeout_ms,
             qerr.set ? ": " : "", qerr.set ? qerr.msg : "");
    struct dp_err ignore = {0};
    if (qmp_fire(&p, "quit", &ignore) == 0 && proc_wait_gone(pid, 3000) == 0) {
        cleanup_runtime(&p);
        return 0;
    }
    int rc = force_off(&p, pid, name, err);
    if (rc == 0)
        cleanup_runtime(&p);
    return rc;
}

static int qemu_kill(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    int pid = vm_pid(&p);
    if (pid && force_off(&p, pid, name, err) != 0)
        return -1;
    cleanup_runtime(&p);
    return 0;
}

/* Removes a VM's folder with spec.json last, so a removal cut short (process killed) leaves
 * a folder that still names the VM: status and list find it and the next destroy finishes
 * the job, instead of an overlay on disk that no one knows. */
static int remove_vm_dir(const struct hv_vm_paths *p, struct dp_err *err)
{
    DIR *d = opendir(p->dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        dp_err_errno(err, "cannot list %s", p->dir);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strcmp(de->d_name, "spec.json"))
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", p->dir, de->d_name);
        rc = dp_remove_tree(path, err);
    }
    closedir(d);
    if (rc == 0 && unlink(p->spec) != 0 && errno != ENOENT) {
        dp_err_errno(err, "cannot remove %s", p->spec);
        rc = -1;
    }
    if (rc == 0 && rmdir(p->dir) != 0 && errno != ENOENT) {
        dp_err_errno(err, "cannot remove %s", p->dir);
        rc = -1;
    }
    return rc;
}

static int qemu_destroy(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    if (!dp_path_exists(p.dir)) {
        dp_err_set(err, "no VM named %s in %s", name, hv->state_dir);
        return -1;
    }
    if (qemu_kill(hv, name, err) != 0)
        return -1;
    return remove_vm_dir(&p, err);
}

static int qemu_reset_disk(struct hv *hv, const char *name, struct dp_err *err)
{
    struct hv_vm_paths p;
    struct hv_vm_spec spec;
    if (vm_paths(hv, name, &p, err) != 0 || hv_spec_load(&spec, p.spec, err) != 0)
        return -1;
    if (vm_pid(&p)) {
        dp_err_set(err,
                   "VM %s is running; stop it before resetting its disk (deskpool-hv vm stop "
                   "%s)",
                   name, name);
        return -1;
    }
    /* New overlay beside the old one, then rename: a failure keeps the old disk intact. */
    char fresh[PATH_MAX + 8];
    snprintf(fresh, sizeof fresh, "%s.new", p.disk);
    unlink(fresh);
    if (overlay_create(hv->qemu_img, spec.base, fresh, err) != 0)
        return -1;
    if (rename(fresh, p.disk) != 0) {
        dp_err_errno(err, "VM %s: cannot replace disk %s", name, p.disk);
        unlink(fresh);
        return -1;
    }
    /* A fresh overlay is again the disk the parent's state was saved with. */
    if (spec.incoming[0])
        return dp_write_file_atomic(p.restore_marker, "", 0, 0644, err);
    return 0;
}

static enum hv_vm_state query_state(const struct hv_vm_paths *p)
{
    struct dp_err err = {0};
    json_t *r = qmp_call(p->qmp, "query-status", NULL, QMP_TIMEOUT_MS, &err);
    if (!r)
        return HV_VM_UNKNOWN;
    const char *st = json_string_value(json_object_get(r, "status"));
    enum hv_vm_state s = HV_VM_UNKNOWN;
    if (st && strcmp(st, "running") == 0)
        s = HV_VM_RUNNING;
    else if (st && strcmp(st, "shutdown") == 0)
        s = HV_VM_SHUTDOWN;
    else if (st)
        s = HV_VM_PAUSED; /* paused, inmigrate, postmigrate, prelaunch, ... */
    json_decref(r);
    return s;
}

static int qemu_status(struct hv *hv, const char *name, struct hv_vm_status *out,
                       struct dp_err *err)
{
    struct hv_vm_paths p;
    struct hv_vm_spec spec;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    if (!dp_path_exists(p.spec)) {
        dp_err_set(err, "no VM named %s in %s", name, hv->state_dir);
        return -1;
    }
    if (hv_spec_load(&spec, p.spec, err) != 0)
        return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->rdp_port = spec.net == HV_NET_USER ? spec.rdp_port : 0;
    out->pid = vm_pid(&p);
    if (!out->pid) {
        out->state = HV_VM_DEFINED;
        return 0;
    }
    out->state = query_state(&p);
    out->rss_kb = proc_rss_kb(out->pid);
    return 0;
}

static int qemu_list(struct hv *hv, struct hv_vm_status **out, size_t *n, struct dp_err *err)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/vms", hv->state_dir);
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : (dp_err_errno(err, "cannot list %s", dir), -1);
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!hv_name_valid(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct hv_vm_status *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                closedir(d);
                free(*out);
                *out = NULL;
                *n = 0;
                dp_err_set(err, "out of memory listing VMs");
                return -1;
            }
            *out = grown;
        }
        struct dp_err ignore = {0};
        if (qemu_status(hv, de->d_name, &(*out)[*n], &ignore) == 0)
            (*n)++;
    }
    closedir(d);
    return 0;
}

static int qemu_attach(struct hv *hv, const char *name, struct hv_vm_spec *spec, struct dp_err *err)
{
    struct hv_vm_paths p;
    if (vm_paths(hv, name, &p, err) != 0)
        return -1;
    if (!dp_path_exists(p.spec)) {
        dp_err_set(err, "no VM named %s in %s", name, hv->state_dir);
        return -1;
    }
    return hv_spec_load(spec, p.spec, err);
}

static int qemu_paths(struct hv *hv, const char *name, struct hv_vm_paths *out, struct dp_err *err)
{
    return vm_paths(hv, name, out, err);
}

static int qemu_set_rdp_port(struct hv *hv, const char *name, int port, struct dp_err *err)
{
    struct hv_vm_paths p;
    struct hv_vm_spec spec;
    if (vm_paths(hv, name, &p, err) != 0 || hv_spec_load(&spec, p.spec, err) != 0)
        return -1;
    if (vm_pid(&p)) {
        dp_err_set(err, "VM %s is running; stop it before moving its RDP port", name);
        return -1;
    }
    if (port < 1 || port > 65535) {
        dp_err_set(err, "VM %s: RDP port %d is out of range (1-65535)", name, port);
        return -1;
    }
    spec.rdp_port = port;
    return hv_spec_save(&spec, p.spec, err);
}

static void qemu_close(struct hv *hv)
{
    free(hv);
}

static const struct hv_ops qemu_ops = {
    .name = "qemu",
    .define = qemu_define,
    .start = qemu_start,
    .stop = qemu_stop,
    .kill = qemu_kill,
    .destroy = qemu_destroy,
    .reset_disk = qemu_reset_disk,
    .status = qemu_status,
    .list = qemu_list,
    .attach = qemu_attach,
    .paths = qemu_paths,
    .set_rdp_port = qemu_set_rdp_port,
    .close = qemu_close,
};

struct hv *hv_qemu_open(const char *state_dir, struct dp_err *err)
{
    struct hv *hv = calloc(1, sizeof *hv);
    if (!hv) {
        dp_err_set(err, "out of memory");
        return NULL;
    }
    hv->ops = &qemu_ops;
    if (!realpath(state_dir, hv->state_dir)) {
        if (dp_mkdirs(state_dir, 0750, err) != 0 || !realpath(state_dir, hv->state_dir)) {
            dp_err_errno(err, "cannot use state directory %s", state_dir);
            free(hv);
            return NULL;
        }
    }
    /* QEMU may be missing: that is reported when a VM starts, not here, so listing works. */
    if (proc_which("qemu-system-x86_64", hv->qemu, sizeof hv->qemu) != 0)
        hv->qemu[0] = '\0';
    if (proc_which("qemu-img", hv->qemu_img, sizeof hv->qemu_img) != 0)
        snprintf(hv->qemu_img, sizeof hv->qemu_img, "qemu-img");
    return hv;
}
