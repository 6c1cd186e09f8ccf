/* SPDX-License-Identifier: Apache-2.0 */
/* deskpoold: options, daemonizing, the pidfile; daemon.c does the rest. */
#include "config.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "pidfile.h"

#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: deskpoold [--config PATH] [--foreground] [--check-config]\n"
            "  --config PATH    INI file (default " DESKPOOLD_DEFAULT_CONFIG "; none needed)\n"
            "  --foreground     stay attached, log to stderr\n"
            "  --check-config   read the config, say what is wrong, exit\n"
            "Config keys (all optional):\n"
            "  [broker] state_dir (/var/lib/deskpool), db (STATE/deskpool.db),\n"
            "           socket (/run/deskpool/deskpoold.sock), pidfile, admin_group (none: root\n"
            "           only), log_level (error|warn|info|debug), syslog (on|off), log_file,\n"
            "           secret_key_file (STATE/secret.key), api_workers, session_ttl_s,\n"
            "           gateway_address (HOST[:PORT] in .rdp files; this host's name:3389)\n"
            "  [https]  listen (0.0.0.0:8443 | off), cert, key (STATE/tls/*.pem, made if\n"
            "           missing), gateway_key_file (STATE/gateway.key, made if missing)\n"
            "  [pool]   tick_ms, workers, ready_timeout_ms, stop_timeout_ms,\n"
            "           restraint_failures, restraint_window_s, memory_reserve_mb\n"
            "Signals: TERM/INT stop (VMs keep running), HUP reopens the log.\n");
}

/* Forks; the parent waits until the child says it is serving (exit 0) or dies trying (exit
 * 1; the child printed why on the same stderr). Returns the write end of the pipe in the
 * child. */
static int daemonize(void)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("deskpoold: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("deskpoold: fork");
        exit(1);
    }
    if (pid > 0) {
        close(p[1]);
        char ok;
        exit(read(p[0], &ok, 1) == 1 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    return p[1];
}

/* The child is serving: detach from the terminal, logs to the log file (or syslog). */
static void detach(const struct dp_config *c, int ready_fd)
{
    int null = open("/dev/null", O_RDWR);
    int log = c->syslog ? -1 : open(c->log_file, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    if (log >= 0 || null >= 0)
        dup2(log >= 0 ? log : null, STDERR_FILENO);
    if (null > STDERR_FILENO)
        close(null);
    if (log > STDERR_FILENO)
        close(log);
    if (write(ready_fd, "1", 1) != 1)
        log_warn("could not tell the starting shell we are up");
    close(ready_fd);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"foreground", no_argument, NULL, 'f'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = DESKPOOLD_DEFAULT_CONFIG;
    int config_given = 0, foreground = 0, check = 0, o;
    while ((o = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            config_path = optarg;
            config_given = 1;
            break;
        case 'f':
            foreground = 1;
            break;
        case 'k':
            check = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    struct deskpoold *d = calloc(1, sizeof *d);
    struct dp_err err = {0};
    if (!d || config_load(&d->cfg, config_path, config_given, &err) != 0) {
        fprintf(stderr, "deskpoold: %s\n", d ? dp_err_msg(&err) : "out of memory");
        return 1;
    }
    if (check) {
        printf("deskpoold: config %s is valid (state %s, socket %s, https %s)\n",
               d->cfg.path[0] ? d->cfg.path : "(defaults: no file)", d->cfg.state_dir,
               d->cfg.socket, d->cfg.https_enabled ? "on" : "off");
        free(d);
        return 0;
    }
    d->foreground = foreground;
    /* The store holds password hashes: nothing the broker makes is for everyone to read. */
    umask(027);
    dp_log_init("deskpoold", d->cfg.log_level, d->cfg.syslog);
    int ready_fd = foreground ? -1 : daemonize();
    int pid_fd = pidfile_open(d->cfg.pidfile, &err);
    /* Before the event base exists: the API workers hand results to it from their threads. */
    if (pid_fd < 0 || evthread_use_pthreads() != 0 || daemon_open(d, &err) != 0) {
        log_error("not started: %s", err.set ? err.msg : "libevent has no thread support");
        pidfile_close(pid_fd, d->cfg.pidfile);
        free(d);
        return 1;
    }
    if (ready_fd >= 0)
        detach(&d->cfg, ready_fd);
    daemon_run(d);
    daemon_close(d);
    log_info("stopped");
    pidfile_close(pid_fd, d->cfg.pidfile);
    free(d);
    return 0;
}
