/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listener process: accepts TCP connections, forks one process per connection, keeps
 * the session table those processes report to (report.h), serves the control socket
 * (control.h), and enforces handshake deadlines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <freerdp/peer.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "desktop.h"
#include "err.h"
#include "files.h"
#include "log.h"

/* Opens a listening socket for every address of --bind (or the wildcard), like FreeRDP's
 * listener does, so both IPv4 and IPv6 clients reach the desktop. */
static int open_listeners(struct desktop *d)
{
    char port[8];
    snprintf(port, sizeof port, "%u", d->port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(d->bind[0] ? d->bind : NULL, port, &hints, &res);
    if (rc != 0) {
        log_error("cannot resolve --bind %s: %s", d->bind, gai_strerror(rc));
        return -1;
    }
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai && d->n_listen < (int)(sizeof d->listen_fds / sizeof(int));
         ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno; /* e.g. no IPv6 in this kernel: the IPv4 socket suffices */
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6) /* its own socket serves IPv4 */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            last_errno = errno;
            close(fd);
            /* A missing address family is fine; the port taken on one of them is not:
             * half the clients would reach some other server. */
            if (last_errno == EADDRNOTAVAIL || last_errno == EAFNOSUPPORT)
                continue;
            for (int i = 0; i < d->n_listen; i++)
                close(d->listen_fds[i]);
            d->n_listen = 0;
            break;
        }
        d->listen_fds[d->n_listen++] = fd;
    }
    freeaddrinfo(res);
    if (d->n_listen == 0) {
        log_error("cannot listen on %s port %u: %s; is another RDP server running there? "
                  "(choose another with --port)",
                  d->bind[0] ? d->bind : "any address", d->port, strerror(last_errno));
        return -1;
    }
    return 0;
}

/* "address:port" of a connected socket, for log lines that tell connections apart. */
static void peer_name(const struct sockaddr_storage *ss, char *out, size_t n, char *host,
                      size_t host_n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        port = ntohs(sin6->sin6_port);
    }
    snprintf(out, n, "%s:%u", ip, port);
    snprintf(host, host_n, "%s", ip);
}

/* In the new process: drop what belongs to the listener, then serve the connection. */
static void run_child(struct desktop *d, int fd, int ctl_fd, const char *addr, int local)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    for (int i = 0; i < d->n_listen; i++)
        close(d->listen_fds[i]);
    if (d->control_fd >= 0)
        close(d->control_fd);
    for (int i = 0; i < DESKTOP_MAX_PEERS; i++)
        if (d->conns[i].pid && d->conns[i].fd >= 0)
            close(d->conns[i].fd);
    freerdp_peer *peer = freerdp_peer_new(fd);
    if (!peer) {
        log_error("%s: cannot set up the connection (out of memory?)", addr);
        exit(1);
    }
    /* What FreeRDP's own listener fills in; peer.c logs with the fuller addr. */
    snprintf(peer->hostname, sizeof peer->hostname, "%s", addr);
    peer->local = local;
    desktop_peer_run(d, ctl_fd, peer);
    close(ctl_fd);
    exit(0);
}

static void accept_one(struct desktop *d, int lfd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            log_warn("accept failed: %s; still listening", strerror(errno));
        return;
    }
    char addr[80], host[INET6_ADDRSTRLEN + 1];
    peer_name(&ss, addr, sizeof addr, host, sizeof host);
    int local = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;

    struct conn *c = NULL;
    for (int i = 0; i < DESKTOP_MAX_PEERS && !c; i++)
        if (!d->conns[i].pid)
            c = &d->conns[i];
    if (!c) {
        log_warn("%s: refused: %d connections are already being served", addr, DESKTOP_MAX_PEERS);
        close(fd);
        return;
    }
    /* SOCK_SEQPACKET: each message arrives whole, and the listener sees the close when the
     * process ends, crash or not. */
    int p[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) != 0) {
        log_error("%s: refused: cannot create a socketpair: %s", addr, strerror(errno));
        close(fd);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_error("%s: refused: cannot fork: %s", addr, strerror(errno));
        close(fd);
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        close(p[0]);
        run_child(d, fd, p[1], addr, local);
    }
    close(fd);
    close(p[1]);
    memset(c, 0, sizeof *c);
    c->pid = pid;
    c->fd = p[0];
    c->deadline_ms = dp_now_ms() + (uint64_t)d->handshake_timeout_s * 1000;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    log_debug("%s: connection process %d", addr, (int)pid);
}

static void send_msg(struct conn *c, const char *msg, int len)
{
    if (len <= 0 || c->fd < 0)
        return;
    /* The child reads its socket all the time; a full buffer means it is stuck, and then
     * its deadline or its client's disconnect ends it anyway. */
    if (send(c->fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len)
        log_warn("%s: cannot tell the connection process: %s", c->addr, strerror(errno));
}

/* The connection that shows session id, or NULL. */
static struct conn *owner_of(struct desktop *d, int id)
{
    for (int i = 0; i < DESKTOP_MAX_PEERS; i++)
        if (id > 0 && d->conns[i].pid && d->conns[i].session_id == id)
            return &d->conns[i];
    return NULL;
}

/* Takes session id away from the connection that shows it, telling its process why. */
static void kick_owner(struct desktop *d, int id, enum report_kick why)
{
    struct conn *o = owner_of(d, id);
    if (!o)
        return;
    char msg[REPORT_LINE_MAX];
    send_msg(o, msg, report_format_kick(msg, sizeof msg, why));
    o->session_id = 0;
}

/* NLA succeeded: resume the user's session (disconnected, or connected elsewhere: taken
 * over, as Windows does with one session per user) or start one; tell the process which. */
static void on_up(struct desktop *d, struct conn *c, const struct report_msg *r)
{
    struct dp_err err = {0};
    struct session_view none = {0};
    const struct session_view *view = &none;
    time_t login = (time_t)r->login;
    int resumed = 0;
    c->deadline_ms = 0;
    struct session_entry *e = c->session_id > 0 ? sessions_find(&d->sessions, c->session_id)
                                                : sessions_find_user(&d->sessions, r->user);
    if (e) {
        struct conn *o = owner_of(d, e->id);
        if (o && o != c) {
            log_info("%s: session %d of \"%s\" moves here from %s", c->addr, e->id, e->user,
                     o->addr);
            kick_owner(d, e->id, KICK_OTHER_CONNECTION);
        } else if (!o) {
            log_info("%s: session %d of \"%s\" resumed", c->addr, e->id, e->user);
        }
        sessions_set_state(&d->sessions, e->id, SESSION_ACTIVE, &err);
        c->session_id = e->id;
        login = e->login;
        view = &e->view;
        resumed = 1;
    } else {
        int id = sessions_add(&d->sessions, r->user, r->domain, login, &err);
        c->session_id = id > 0 ? id : 0;
        if (id > 0)
            log_info("%s: session %d of \"%s\" started", c->addr, id, r->user);
    }
    if (err.set)
        log_error("%s: cannot publish the session of \"%s\": %s", c->addr, r->user,
                  dp_err_msg(&err));
    char msg[REPORT_LINE_MAX];
    send_msg(c, msg, report_format_session(msg, sizeof msg, c->session_id, login, resumed, view));
}

/* The user logged off from the desktop: end the session, publish, then acknowledge, so the
 * users file is current before the client's connection closes. */
static void on_logoff(struct desktop *d, struct conn *c)
{
    if (c->session_id > 0) {
        struct dp_err err = {0};
        if (sessions_remove(&d->sessions, c->session_id, &err) != 0)
            log_error("%s: cannot update the users file: %s", c->addr, dp_err_msg(&err));
        log_info("%s: session %d ended by the user's logoff", c->addr, c->session_id);
        c->session_id = 0;
    }
    char msg[16];
    send_msg(c, msg, report_format_bye(msg, sizeof msg));
}

static void handle_msg(struct desktop *d, struct conn *c, const char *msg, size_t len)
{
    struct report_msg r;
    if (report_parse_msg(msg, len, &r) != 0) {
        log_warn("%s: connection process sent a malformed message; ignored", c->addr);
        return;
    }
    switch (r.kind) {
    case REPORT_UP:
        on_up(d, c, &r);
        break;
    case REPORT_STATE:
        if (c->session_id > 0) /* else the session went elsewhere: this view is stale */
            sessions_set_view(&d->sessions, c->session_id, &r.view);
        break;
    case REPORT_LOGOFF:
        on_logoff(d, c);
        break;
    default:
        log_warn("%s: connection process sent an unexpected message; ignored", c->addr);
    }
}

/* The socket closed: the connection is over, whatever way its process ended. Its session
 * stays, disconnected, for the user to come back to. */
static void end_conn(struct desktop *d, struct conn *c)
{
    close(c->fd);
    c->fd = -1;
    if (c->session_id > 0) {
        struct dp_err err = {0};
        if (sessions_set_state(&d->sessions, c->session_id, SESSION_DISCONNECTED, &err) != 0)
            log_error("%s: cannot update the users file: %s", c->addr, dp_err_msg(&err));
        log_info("%s: session %d disconnected", c->addr, c->session_id);
        c->session_id = 0;
    }
}

static void read_report(struct desktop *d, struct conn *c)
{
    char buf[REPORT_LINE_MAX];
    ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        end_conn(d, c);
        return;
    }
    handle_msg(d, c, buf, (size_t)n);
}

/* deskpool-logoff-user, through the guest agent: ends every session of the user, connected
 * or not, and answers once the users file says so. */
static void serve_control(struct desktop *d)
{
    int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char user[CONTROL_USER_MAX];
    if (control_read_request(fd, user) != 0) {
        control_reply(fd, -1, "malformed request; send LOGOFF<TAB>user<LF>");
        close(fd);
        return;
    }
    int n = 0;
    struct dp_err err = {0};
    struct session_entry *e;
    while ((e = sessions_find_user(&d->sessions, user)) != NULL) {
        int id = e->id;
        kick_owner(d, id, KICK_ADMIN_LOGOFF);
        sessions_remove(&d->sessions, id, &err); /* gone from the table even if unwritten */
        log_info("session %d of \"%s\" ended by deskpool-logoff-user", id, user);
        n++;
    }
    if (err.set) {
        log_error("logoff of \"%s\": cannot update the users file: %s", user, dp_err_msg(&err));
        control_reply(fd, -1, dp_err_msg(&err));
    } else {
        control_reply(fd, n, NULL);
    }
    close(fd);
}

/* Collects exited connection processes; a slot is free once its pipe is closed too. */
static void reap(struct desktop *d)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < DESKTOP_MAX_PEERS; i++) {
            struct conn *c = &d->conns[i];
            if (c->pid != pid)
                continue;
            if (c->fd >= 0) /* cannot stay open once the process is gone, but be sure */
                end_conn(d, c);
            if (WIFSIGNALED(status) && !c->killed && WTERMSIG(status) != SIGTERM)
                log_error("%s: connection process died of signal %d; its session is disconnected",
                          c->addr, WTERMSIG(status));
            c->pid = 0;
        }
    }
}

/*
 * FreeRDP runs the TLS and NLA handshakes with blocking reads, so a client that goes
 * silent mid-handshake would hold its process forever. Past the deadline it is killed.
 */
static void enforce_deadlines(struct desktop *d)
{
    uint64_t now = dp_now_ms();
    for (int i = 0; i < DESKTOP_MAX_PEERS; i++) {
        struct conn *c = &d->conns[i];
        if (!c->pid || c->killed || c->deadline_ms == 0 || now < c->deadline_ms)
            continue;
        log_warn("%s: no desktop after %d s (handshake or login stalled); closing", c->addr,
                 d->handshake_timeout_s);
        kill(c->pid, SIGKILL);
        c->killed = 1;
    }
}

/* On shutdown: ask every connection process to end, then insist. */
static void stop_all(struct desktop *d)
{
    for (int i = 0; i < DESKTOP_MAX_PEERS; i++)
        if (d->conns[i].pid)
            kill(d->conns[i].pid, SIGTERM);
    uint64_t until = dp_now_ms() + 2000;
    for (;;) {
        reap(d);
        int left = 0;
        for (int i = 0; i < DESKTOP_MAX_PEERS; i++)
            left += d->conns[i].pid != 0;
        if (!left)
            break;
        if (dp_now_ms() > until) {
            for (int i = 0; i < DESKTOP_MAX_PEERS; i++)
                if (d->conns[i].pid) {
                    d->conns[i].killed = 1;
                    kill(d->conns[i].pid, SIGKILL);
                }
            until = UINT64_MAX;
        }
        usleep(20000);
    }
}

int desktop_serve(struct desktop *d)
{
    if (open_listeners(d) != 0)
        return -1;
    struct dp_err err = {0};
    d->control_fd = control_open(d->control_path, &err);
    if (d->control_fd < 0) {
        log_error("%s", dp_err_msg(&err));
        for (int i = 0; i < d->n_listen; i++)
            close(d->listen_fds[i]);
        d->n_listen = 0;
        return -1;
    }
    log_info("listening on %s port %u", d->bind[0] ? d->bind : "all addresses", d->port);

    while (!d->stop) {
        struct pollfd pfd[9 + DESKTOP_MAX_PEERS];
        struct conn *owner[9 + DESKTOP_MAX_PEERS];
        int n = 0;
        pfd[n] = (struct pollfd){.fd = d->control_fd, .events = POLLIN};
        owner[n++] = NULL;
        for (int i = 0; i < d->n_listen; i++) {
            pfd[n] = (struct pollfd){.fd = d->listen_fds[i], .events = POLLIN};
            owner[n++] = NULL;
        }
        for (int i = 0; i < DESKTOP_MAX_PEERS; i++) {
            if (d->conns[i].pid && d->conns[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = d->conns[i].fd, .events = POLLIN};
                owner[n++] = &d->conns[i];
            }
        }
        /* Wake twice a second to reap, check deadlines and the stop flag. */
        int ready = poll(pfd, (nfds_t)n, 500);
        if (ready < 0 && errno != EINTR) {
            log_error("poll failed: %s", strerror(errno));
            break;
        }
        for (int i = 0; ready > 0 && i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (owner[i])
                read_report(d, owner[i]);
            else if (pfd[i].fd == d->control_fd)
                serve_control(d);
            else
                accept_one(d, pfd[i].fd);
        }
        reap(d);
        enforce_deadlines(d);
    }
    stop_all(d);
    for (int i = 0; i < d->n_listen; i++)
        close(d->listen_fds[i]);
    d->n_listen = 0;
    close(d->control_fd);
    d->control_fd = -1;
    unlink(d->control_path);
    return 0;
}
