/* SPDX-License-Identifier: Apache-2.0 */
/* One RDP connection: FreeRDP peer settings, login, input, drawing, logoff. */
#include <errno.h>
#include <freerdp/error.h>
#include <freerdp/freerdp.h>
#include <freerdp/input.h>
#include <freerdp/peer.h>
#include <poll.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>
#include <winpr/string.h>
#include <unistd.h>
#include <winpr/synch.h>

#include "desktop.h"
#include "encode.h"
#include "err.h"
#include "files.h"
#include "keymap.h"
#include "log.h"
#include "sam_check.h"
#include "report.h"
#include "scene.h"

enum {
    MAX_SIDE = 8192,           /* largest desktop side we agree to draw */
    MIN_FRAME_MS = 40,         /* input redraws at most 25 times a second */
    LISTENER_ANSWER_MS = 5000, /* the listener is local and answers at once */
    CLOSE_LINGER_MS = 2000,    /* how long a told client gets to hang up itself */
};

/* How the connection ends, beyond the client simply going away. */
enum ending {
    END_NONE,         /* client gone (or shutdown request): the session is disconnected */
    END_LOGOFF,       /* the user logged off on the desktop */
    END_ADMIN_LOGOFF, /* deskpool-logoff-user */
    END_TAKEN_OVER,   /* the user connected again from elsewhere */
};

/* FreeRDP allocates ContextSize bytes and hands us the rdpContext at its start. */
struct peer_ctx {
    rdpContext base;
    struct desktop *d;
    int ctl_fd;     /* to the listener process (report.h) */
    HANDLE ctl_evt; /* ctl_fd as a WinPR handle, so one wait covers it and the client */
    char addr[80];

    /* login */
    int logged_on; /* NLA succeeded */
    int refused;   /* close at the next chance */
    char user[REPORT_FIELD_MAX];
    char domain[REPORT_FIELD_MAX];
    time_t login_time;
    int reported;   /* the listener lists the session in the users file */
    int session_id; /* the listener's; 0 if it could not list it */
    int resumed;    /* the session existed before this connection */
    enum ending ending;
    struct session_view sent_view; /* what the listener last heard the desktop shows */

    /* desktop */
    int activated;
    int output_allowed; /* the client may suppress output while minimised */
    int force;          /* send everything at the next frame */
    int dirty;          /* input changed the picture */
    uint64_t last_frame_ms;
    time_t last_clock;
    struct scene scene;
    struct fb fb;
    struct encoder enc;
    int have_fb;
    struct keymap_state keys;
};

static struct peer_ctx *ctx_of(rdpContext *c)
{
    return (struct peer_ctx *)c;
}

/* UTF-16 or ANSI field of an SSPI identity into a UTF-8 string. */
static void identity_field(const SEC_WINNT_AUTH_IDENTITY *id, const void *field, ULONG len,
                           char *out, size_t n)
{
    out[0] = '\0';
    if (!field || len == 0)
        return;
    if (id->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) {
        char *utf8 = NULL;
        if (ConvertFromUnicode(CP_UTF8, 0, (LPCWSTR)field, (int)len, &utf8, 0, NULL, NULL) > 0 &&
            utf8) {
            snprintf(out, n, "%s", utf8);
        }
        free(utf8);
    } else {
        snprintf(out, n, "%.*s", (int)len, (const char *)field);
    }
}

/*
 * Called once the security protocol is settled. automatic is TRUE only when the client
 * authenticated with NLA (CredSSP). With TLS alone FreeRDP would let anyone in without a
 * password, so such clients are refused here.
 */
static BOOL on_logon(freerdp_peer *peer, SEC_WINNT_AUTH_IDENTITY *identity, BOOL automatic)
{
    struct peer_ctx *pc = ctx_of(peer->context);
    if (!automatic) {
        log_warn("%s: refused: client did not use NLA (e.g. /sec:tls); this server requires "
                 "NLA",
                 pc->addr);
        pc->refused = 1;
        return FALSE;
    }
    identity_field(identity, identity->User, identity->UserLength, pc->user, sizeof pc->user);
    identity_field(identity, identity->Domain, identity->DomainLength, pc->domain,
                   sizeof pc->domain);
    pc->logged_on = 1;
    pc->login_time = time(NULL);
    log_info("%s: user \"%s\" (domain \"%s\") logged in with NLA", pc->addr, pc->user, pc->domain);
    return TRUE;
}

static BOOL on_post_connect(freerdp_peer *peer)
{
    struct peer_ctx *pc = ctx_of(peer->context);
    rdpSettings *s = peer->settings;
    log_info("%s: client %ux%u at %u bpp, multifrag %u bytes", pc->addr, s->DesktopWidth,
             s->DesktopHeight, s->ColorDepth, s->MultifragMaxRequestSize);
    if (s->ColorDepth != 32)
        log_warn("%s: client chose %u bpp; this desktop sends 32 bpp bitmaps, which some "
                 "clients may not show (connect with 32 bpp)",
                 pc->addr, s->ColorDepth);
    return TRUE;
}

static int render_and_send(struct peer_ctx *pc)
{
    time_t now = time(NULL);
    scene_render(&pc->scene, now, &pc->fb);
    pc->last_clock = now;
    pc->last_frame_ms = dp_now_ms();
    pc->dirty = 0;
    int force = pc->force;
    pc->force = 0;
    return encoder_send(&pc->enc, &pc->base, &pc->fb, force);
}

/* Sends one message to the listener; a short message on a SOCK_SEQPACKET is atomic. */
static int tell_listener(struct peer_ctx *pc, const char *msg, int len)
{
    if (len <= 0 || send(pc->ctl_fd, msg, (size_t)len, MSG_NOSIGNAL) != len) {
        log_error("%s: cannot reach the listener process: %s", pc->addr,
                  len <= 0 ? "message too long" : strerror(errno));
        return -1;
    }
    return 0;
}

/* Handles a KICK; other messages need none outside a request. */
static void on_listener_msg(struct peer_ctx *pc, const struct report_msg *m)
{
    if (m->kind != REPORT_KICK)
        return;
    pc->ending = m->kick == KICK_ADMIN_LOGOFF ? END_ADMIN_LOGOFF : END_TAKEN_OVER;
    pc->session_id = 0;
}

/* Waits up to LISTENER_ANSWER_MS for a message of kind want (others are handled on the
 * way). 0 and out filled, or -1. */
static int await_listener(struct peer_ctx *pc, enum report_kind want, struct report_msg *out)
{
    uint64_t deadline = dp_now_ms() + LISTENER_ANSWER_MS;
    char buf[REPORT_LINE_MAX];
    for (;;) {
        uint64_t now = dp_now_ms();
        if (now >= deadline)
            return -1;
        struct pollfd p = {.fd = pc->ctl_fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(pc->ctl_fd, buf, sizeof buf, 0);
        if (n <= 0)
            return -1;
        if (report_parse_msg(buf, (size_t)n, out) != 0)
            continue;
        if (out->kind == want)
            return 0;
        on_listener_msg(pc, out);
    }
}

/* Reads what the listener sent meanwhile (non-blocking). -1 when it is gone. */
static int poll_listener(struct peer_ctx *pc)
{
    char buf[REPORT_LINE_MAX];
    struct report_msg m;
    for (;;) {
        ssize_t n = recv(pc->ctl_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n <= 0)
            return -1;
        if (report_parse_msg(buf, (size_t)n, &m) == 0)
            on_listener_msg(pc, &m);
    }
}

/* Asks the listener which session to show: the user's disconnected one (or the one another
 * connection of theirs shows), with what its desktop showed, or a new one. */
static int attach_session(struct peer_ctx *pc)
{
    char msg[REPORT_LINE_MAX];
    struct report_msg r;
    if (tell_listener(pc, msg,
                      report_format_up(msg, sizeof msg, pc->user, pc->domain, pc->login_time)) != 0)
        return -1;
    if (await_listener(pc, REPORT_SESSION, &r) != 0) {
        log_error("%s: the listener process did not say which session to show; closing", pc->addr);
        return -1;
    }
    pc->reported = 1;
    pc->session_id = r.session_id;
    pc->resumed = r.resumed;
    pc->scene.session_id = r.session_id;
    if (r.resumed) {
        pc->login_time = (time_t)r.login;
        pc->scene.login_time = pc->login_time;
        scene_set_view(&pc->scene, &r.view);
    }
    scene_get_view(&pc->scene, &pc->sent_view);
    return 0;
}

/* Keeps the listener's copy of what the desktop shows current, so a resumed session (even
 * after this process crashed) looks as the user left it. */
static void send_view(struct peer_ctx *pc)
{
    struct session_view v;
    if (!pc->activated || pc->session_id <= 0 || pc->ending != END_NONE)
        return;
    scene_get_view(&pc->scene, &v);
    if (memcmp(&v, &pc->sent_view, sizeof v) == 0)
        return;
    char msg[REPORT_LINE_MAX];
    if (tell_listener(pc, msg, report_format_state(msg, sizeof msg, &v)) == 0)
        pc->sent_view = v;
}

/* The line just entered was "logoff": the user ends the session. */
static void check_logoff_line(struct peer_ctx *pc)
{
    if (strcasecmp(pc->scene.last_line, "logoff") == 0 && pc->ending == END_NONE)
        pc->ending = END_LOGOFF;
}

/* Runs after the connection sequence and again after each reactivation (e.g. a resize). */
static BOOL on_activate(freerdp_peer *peer)
{
    struct peer_ctx *pc = ctx_of(peer->context);
    rdpSettings *s = peer->settings;
    int w = (int)s->DesktopWidth, h = (int)s->DesktopHeight;
    if (w <= 0 || h <= 0 || w > MAX_SIDE || h > MAX_SIDE) {
        log_warn("%s: refused: desktop size %dx%d is out of range", pc->addr, w, h);
        pc->refused = 1;
        return FALSE;
    }
    if (!pc->logged_on) { /* cannot happen with NLA enforced; never draw for nobody */
        pc->refused = 1;
        return FALSE;
    }
    if (pc->have_fb && (pc->fb.width != w || pc->fb.height != h)) {
        encoder_free(&pc->enc);
        fb_free(&pc->fb);
        pc->have_fb = 0;
    }
    if (!pc->have_fb) {
        if (fb_init(&pc->fb, w, h) != 0 || encoder_init(&pc->enc, w, h) != 0) {
            log_error("%s: out of memory for a %dx%d desktop", pc->addr, w, h);
            fb_free(&pc->fb);
            pc->refused = 1;
            return FALSE;
        }
        encoder_set_max_update(&pc->enc, pc->d->max_update_bytes);
        pc->have_fb = 1;
    }
    if (!pc->activated) {
        char who[sizeof pc->user + sizeof pc->domain + 2];
        if (pc->domain[0])
            snprintf(who, sizeof who, "%s\\%s", pc->domain, pc->user);
        else
            snprintf(who, sizeof who, "%s", pc->user);
        /* Read the name now, not at server start: the broker renames a clone over the guest
         * agent after it boots (or after an instant-clone restore). */
        char host[64];
        if (gethostname(host, sizeof host - 1) != 0 || !host[0])
            snprintf(host, sizeof host, "%s", pc->d->hostname);
        host[sizeof host - 1] = '\0';
        scene_init(&pc->scene, host, who, pc->login_time);
        if (attach_session(pc) != 0) {
            pc->refused = 1;
            return FALSE;
        }
        log_info("%s: desktop of \"%s\" is up (%dx%d), session %d%s", pc->addr, pc->user, w, h,
                 pc->session_id, pc->resumed ? " (resumed)" : "");
    }
    pc->activated = 1;
    pc->output_allowed = 1;
    pc->force = 1;
    return render_and_send(pc) == 0;
}

static BOOL on_synchronize(rdpInput *input, UINT32 flags)
{
    struct peer_ctx *pc = ctx_of(input->context);
    keymap_sync(&pc->keys, flags & KBD_SYNC_CAPS_LOCK ? 0x4 : 0);
    return TRUE;
}

static BOOL on_keyboard(rdpInput *input, UINT16 flags, UINT16 code)
{
    struct peer_ctx *pc = ctx_of(input->context);
    if (!pc->activated)
        return TRUE;
    struct key_result k = keymap_feed(&pc->keys, flags, (uint8_t)(code & 0xff));
    switch (k.kind) {
    case KEY_CHAR:
        scene_type_char(&pc->scene, k.ch);
        break;
    case KEY_BACKSPACE:
        scene_backspace(&pc->scene);
        break;
    case KEY_ENTER:
        scene_enter(&pc->scene);
        check_logoff_line(pc);
        break;
    case KEY_ESCAPE:
    case KEY_NONE:
        return TRUE;
    }
    pc->dirty = 1;
    return TRUE;
}

/* Clients with a Unicode keyboard mode send characters instead of scancodes. */
static BOOL on_unicode_keyboard(rdpInput *input, UINT16 flags, UINT16 code)
{
    struct peer_ctx *pc = ctx_of(input->context);
    if (!pc->activated || (flags & KBD_FLAGS_RELEASE))
        return TRUE;
    if (code == '\r' || code == '\n') {
        scene_enter(&pc->scene);
        check_logoff_line(pc);
    } else if (code == '\b')
        scene_backspace(&pc->scene);
    else
        scene_type_char(&pc->scene, code >= 0x20 && code < 0x7f ? (char)code : '?');
    pc->dirty = 1;
    return TRUE;
}

static BOOL on_mouse(rdpInput *input, UINT16 flags, UINT16 x, UINT16 y)
{
    struct peer_ctx *pc = ctx_of(input->context);
    if (!pc->activated || (flags & (PTR_FLAGS_WHEEL | PTR_FLAGS_HWHEEL)))
        return TRUE;
    if ((flags & PTR_FLAGS_DOWN) &&
        (flags & (PTR_FLAGS_BUTTON1 | PTR_FLAGS_BUTTON2 | PTR_FLAGS_BUTTON3))) {
        scene_mouse_click(&pc->scene, x, y);
        if ((flags & PTR_FLAGS_BUTTON1) && pc->have_fb &&
            scene_hits_logoff(pc->fb.width, pc->fb.height, x, y) && pc->ending == END_NONE)
            pc->ending = END_LOGOFF;
    } else
        scene_mouse_move(&pc->scene, x, y);
    pc->dirty = 1;
    return TRUE;
}

static BOOL on_extended_mouse(rdpInput *input, UINT16 flags, UINT16 x, UINT16 y)
{
    struct peer_ctx *pc = ctx_of(input->context);
    if (pc->activated) {
        scene_mouse_move(&pc->scene, x, y);
        pc->dirty = 1;
    }
    return TRUE;
}

static BOOL on_refresh_rect(rdpContext *context, BYTE count, const RECTANGLE_16 *areas)
{
    ctx_of(context)->force = 1;
    return TRUE;
}

static BOOL on_suppress_output(rdpContext *context, BYTE allow, const RECTANGLE_16 *area)
{
    struct peer_ctx *pc = ctx_of(context);
    pc->output_allowed = allow != 0;
    if (allow)
        pc->force = 1;
    return TRUE;
}

static BOOL on_context_new(freerdp_peer *peer, rdpContext *context)
{
    return TRUE;
}

static void on_context_free(freerdp_peer *peer, rdpContext *context)
{
    struct peer_ctx *pc = ctx_of(context);
    if (pc->have_fb) {
        encoder_free(&pc->enc);
        fb_free(&pc->fb);
        pc->have_fb = 0;
    }
}

static int configure(struct peer_ctx *pc, freerdp_peer *peer)
{
    struct desktop *d = pc->d;
    rdpSettings *s = peer->settings;
    /* NTLM reads this SAM file itself on every login, so password changes need no restart. */
    s->CertificateFile = strdup(d->crt_path);
    s->PrivateKeyFile = strdup(d->key_path);
    s->RdpKeyFile = strdup(d->key_path);
    s->NtlmSamFile = strdup(d->sam_path);
    if (!s->CertificateFile || !s->PrivateKeyFile || !s->RdpKeyFile || !s->NtlmSamFile)
        return -1;
    s->NlaSecurity = TRUE;
    s->TlsSecurity = TRUE; /* TLS-only clients are then refused in on_logon */
    s->RdpSecurity = FALSE;
    /* The server's default is 16 and the lower of both sides wins: ask for 32 up front. */
    s->ColorDepth = 32;
    s->RefreshRect = TRUE;
    s->SuppressOutput = TRUE;
    /* Plain bitmap updates only; no codec the client might lack. */
    s->RemoteFxCodec = FALSE;
    s->NSCodec = FALSE;
    s->SupportGraphicsPipeline = FALSE;

    peer->Logon = on_logon;
    peer->PostConnect = on_post_connect;
    peer->Activate = on_activate;
    peer->input->SynchronizeEvent = on_synchronize;
    peer->input->KeyboardEvent = on_keyboard;
    peer->input->UnicodeKeyboardEvent = on_unicode_keyboard;
    peer->input->MouseEvent = on_mouse;
    peer->input->ExtendedMouseEvent = on_extended_mouse;
    peer->update->RefreshRect = on_refresh_rect;
    peer->update->SuppressOutput = on_suppress_output;
    return 0;
}

/* Says loudly when nobody can log in, since NTLM itself only says "failure". */
static void check_sam(struct peer_ctx *pc)
{
    struct dp_err err = {0};
    int n = sam_check_file(pc->d->sam_path, &err);
    if (n < 0)
        log_warn("%s: nobody can log in: %s (the guest agent writes it on "
                 "guest-set-user-password)",
                 pc->addr, dp_err_msg(&err));
    else if (n == 0)
        log_warn("%s: nobody can log in: %s has no usable user:domain:LM:NT::: line (the guest "
                 "agent writes it on guest-set-user-password)",
                 pc->addr, pc->d->sam_path);
}

/* How long to wait for network events before the next frame is due. */
static DWORD wait_ms(struct peer_ctx *pc)
{
    if (!pc->activated || !pc->output_allowed)
        return 500;
    if (pc->dirty || pc->force) {
        uint64_t since = dp_now_ms() - pc->last_frame_ms;
        return since >= MIN_FRAME_MS ? 0 : (DWORD)(MIN_FRAME_MS - since);
    }
    /* Wake just after the wall clock's next second so the clock ticks on time. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (DWORD)(1000 - ts.tv_nsec / 1000000) + 5;
}

static int frame_due(struct peer_ctx *pc)
{
    if (!pc->activated || !pc->output_allowed)
        return 0;
    if (time(NULL) != pc->last_clock)
        return 1;
    return (pc->dirty || pc->force) && dp_now_ms() - pc->last_frame_ms >= MIN_FRAME_MS;
}

/*
 * Closing a TCP socket with unread input (a client still sending input or its last
 * connection PDUs) makes the kernel send a reset, and the client may then lose the Set
 * Error Info PDU still in flight. So: end our side, read what the client still sends until it
 * closes too (it does once it has read the PDU), for at most CLOSE_LINGER_MS.
 */
static void close_gently(struct peer_ctx *pc, int fd)
{
    char sink[4096];
    uint64_t deadline = dp_now_ms() + CLOSE_LINGER_MS;
    if (fd < 0 || shutdown(fd, SHUT_WR) != 0)
        return;
    for (;;) {
        uint64_t now = dp_now_ms();
        if (now >= deadline) {
            log_debug("%s: client did not close within %d ms after being told", pc->addr,
                      CLOSE_LINGER_MS);
            return;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
    }
}

/*
 * Ends the connection the way its ending asks: a logoff is published by the listener before
 * the client hears of it (so the users file is current when the TCP connection closes), then
 * the client gets the Set Error Info PDU that tells it why, as a Windows host sends.
 */
static void finish(struct peer_ctx *pc, freerdp_peer *peer)
{
    UINT32 info = 0;
    const char *why = NULL;
    switch (pc->ending) {
    case END_NONE:
        if (pc->reported)
            log_info("%s: user \"%s\" disconnected after %lld s; session %d stays", pc->addr,
                     pc->user, (long long)(time(NULL) - pc->login_time), pc->session_id);
        return;
    case END_LOGOFF: {
        char msg[16];
        struct report_msg r;
        if (tell_listener(pc, msg, report_format_logoff(msg, sizeof msg)) != 0 ||
            await_listener(pc, REPORT_BYE, &r) != 0)
            log_error("%s: the listener did not confirm the logoff of \"%s\"", pc->addr, pc->user);
        info = ERRINFO_LOGOFF_BY_USER;
        why = "logged off";
        break;
    }
    case END_ADMIN_LOGOFF:
        info = ERRINFO_RPC_INITIATED_LOGOFF;
        why = "was logged off by deskpool-logoff-user";
        break;
    case END_TAKEN_OVER:
        info = ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION;
        why = "connected again elsewhere; the session moved there";
        break;
    }
    log_info("%s: user \"%s\" %s after %lld s", pc->addr, pc->user, why,
             (long long)(time(NULL) - pc->login_time));
    freerdp_set_error_info(peer->context->rdp, info);
    if (!freerdp_send_error_info(peer->context->rdp)) {
        log_warn("%s: could not tell the client why the session ended", pc->addr);
        return;
    }
    close_gently(pc, peer->sockfd);
}

void desktop_peer_run(struct desktop *d, int ctl_fd, freerdp_peer *peer)
{
    char addr[80];
    snprintf(addr, sizeof addr, "%s", peer->hostname);
    peer->ContextSize = sizeof(struct peer_ctx);
    peer->ContextNew = on_context_new;
    peer->ContextFree = on_context_free;
    if (!freerdp_peer_context_new(peer)) {
        log_error("%s: cannot set up the connection (out of memory?)", addr);
        freerdp_peer_free(peer);
        return;
    }
    struct peer_ctx *pc = ctx_of(peer->context);
    pc->d = d;
    pc->ctl_fd = ctl_fd;
    pc->ctl_evt = CreateFileDescriptorEvent(NULL, FALSE, FALSE, ctl_fd, WINPR_FD_READ);
    snprintf(pc->addr, sizeof pc->addr, "%s", addr);
    log_info("%s: connected", addr);
    check_sam(pc);

    if (!pc->ctl_evt) {
        log_error("%s: cannot watch the listener's socket (out of memory?)", addr);
    } else if (configure(pc, peer) != 0 || !peer->Initialize(peer)) {
        log_error("%s: cannot set up the connection (TLS files %s, %s)", addr, d->crt_path,
                  d->key_path);
    } else {
        while (!d->stop && !pc->refused && pc->ending == END_NONE) {
            HANDLE handles[32];
            DWORD count = peer->GetEventHandles(peer, handles, 31);
            if (count == 0)
                break;
            handles[count++] = pc->ctl_evt;
            if (WaitForMultipleObjects(count, handles, FALSE, wait_ms(pc)) == WAIT_FAILED)
                break;
            if (poll_listener(pc) != 0) {
                log_error("%s: the listener process is gone; closing", addr);
                break;
            }
            if (pc->ending != END_NONE)
                break;
            if (!peer->CheckFileDescriptor(peer))
                break;
            send_view(pc);
            if (pc->ending != END_NONE)
                break;
            if (frame_due(pc) && render_and_send(pc) != 0)
                break;
        }
    }

    /* Without a logoff the session stays: the listener marks it disconnected when this
     * process's socket closes. */
    if (pc->reported) {
        finish(pc, peer);
    } else if (!pc->logged_on && !pc->refused) {
        log_info("%s: closed before login (wrong password, unknown user, unsupported security "
                 "or the client gave up)",
                 addr);
    } else {
        log_info("%s: closed", addr);
    }
    peer->Disconnect(peer);
    if (pc->ctl_evt)
        CloseHandle(pc->ctl_evt);
    freerdp_peer_context_free(peer);
    freerdp_peer_free(peer);
}
