/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_session.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <freerdp/client.h>
#include <freerdp/error.h>
#include <freerdp/event.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/settings.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#include "files.h"
#include "probe_classify.h"
#include "probe_colours.h"
#include "probe_keys.h"
#include "probe_tcp.h"

/* How often the event loop wakes up to look at the clock when the server is quiet. */
#define PUMP_TICK_MS 50
/* After typing, wait at least this long without drawing: one key echo per frame. */
#define TYPE_SETTLE_MIN_MS 300

struct probe_session {
    const struct probe_session_config *cfg;
    struct probe_result *res;
    rdpContext *context;
    char target[300];

    uint64_t t0;       /* dp_now_ms() just before freerdp_connect */
    uint64_t deadline; /* t0 + timeout */

    /* Connection progress, from FreeRDP's ConnectionStateChange events (connect thread). */
    struct probe_progress progress;
    int state;            /* last state seen */
    int stop_state;       /* the state before FreeRDP fell back to INITIAL */
    uint64_t nla_in_base; /* bytes received when CredSSP started */

    /* Painting, from BeginPaint/EndPaint (event loop, same thread). */
    unsigned frames;
    uint64_t last_frame_ms;

    /* The watchdog unblocks freerdp_connect, whose blocking reads have no timeout in 2.11
     * (the X.224 confirm and the TLS handshake wait forever on a silent server). */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int connecting; /* under lock: freerdp_connect is running */
    int stop;       /* under lock: watchdog should exit */
};

struct probe_ctx {
    rdpClientContext common; /* must be first: FreeRDP allocates ContextSize bytes */
    struct probe_session *session;
};

static struct probe_session *session_of(rdpContext *context)
{
    return ((struct probe_ctx *)context)->session;
}

void probe_session_global_init(int verbose)
{
    wLog *root = WLog_GetRoot();
    /* FreeRDP logs every failed connection at ERROR level; the probe reports failures
     * itself, in one line, with advice. WLOG_LEVEL still applies when --verbose. */
    if (!verbose)
        WLog_SetLogLevel(root, WLOG_OFF);
    else if (!getenv("WLOG_LEVEL"))
        WLog_SetLogLevel(root, WLOG_INFO);
}

/* ---- connection progress -------------------------------------------------------------- */

static uint64_t bytes_in(rdpContext *context)
{
    UINT64 in = 0;
    freerdp_get_stats(context->rdp, &in, NULL, NULL, NULL);
    return in;
}

static void on_state_change(void *ctx, ConnectionStateChangeEventArgs *e)
{
    rdpContext *context = ctx;
    struct probe_session *s = session_of(context);

    if (!s)
        return;
    if (s->state == CONNECTION_STATE_NLA && e->state != CONNECTION_STATE_NLA &&
        bytes_in(context) > s->nla_in_base)
        s->progress.nla_answered = 1;
    if (e->state == CONNECTION_STATE_NLA) {
        s->progress.reached_nla = 1;
        s->nla_in_base = bytes_in(context);
    }
    if (e->state >= CONNECTION_STATE_MCS_CONNECT)
        s->progress.passed_nla = 1;
    if (e->state == CONNECTION_STATE_INITIAL && s->state != CONNECTION_STATE_INITIAL)
        s->stop_state = s->state;
    s->state = e->state;
}

/*
 * FreeRDP 2.11 publishes ConnectionStateChange on every state transition but never
 * registers the event type, so nobody can subscribe; registering it here makes the events
 * arrive. (PubSub copies the entry, so one template serves every context.)
 */
static int watch_states(rdpContext *context)
{
    static wEventType state_event[] = {DEFINE_EVENT_ENTRY(ConnectionStateChange)};

    if (PubSub_SubscribeConnectionStateChange(context->pubSub, on_state_change) == 0)
        return 0;
    PubSub_AddEventTypes(context->pubSub, state_event, 1);
    return PubSub_SubscribeConnectionStateChange(context->pubSub, on_state_change) == 0 ? 0 : -1;
}

/* ---- painting --------------------------------------------------------------------------- */

static BOOL on_begin_paint(rdpContext *context)
{
    context->gdi->primary->hdc->hwnd->invalid->null = TRUE;
    return TRUE;
}

static BOOL on_end_paint(rdpContext *context)
{
    struct probe_session *s = session_of(context);
    HGDI_RGN invalid = context->gdi->primary->hdc->hwnd->invalid;

    /* EndPaint also follows updates that drew nothing (e.g. pointer-only PDUs): only a
     * non-empty invalid region is a frame. */
    if (invalid->null || invalid->w <= 0 || invalid->h <= 0)
        return TRUE;
    s->frames++;
    s->last_frame_ms = dp_now_ms();
    if (s->frames == 1)
        s->res->first_frame_ms = (long)(s->last_frame_ms - s->t0);
    return TRUE;
}

static BOOL on_desktop_resize(rdpContext *context)
{
    return gdi_resize(context->gdi, context->settings->DesktopWidth,
                      context->settings->DesktopHeight);
}

static BOOL on_post_connect(freerdp *instance)
{
    /* The software GDI decodes every codec the server may pick (bitmap, planar, interleaved,
     * RemoteFX, NSCodec) into one framebuffer, so "a frame" means the same for all. */
    if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
        return FALSE;
    instance->update->BeginPaint = on_begin_paint;
    instance->update->EndPaint = on_end_paint;
    instance->update->DesktopResize = on_desktop_resize;
    return TRUE;
}

static void on_post_disconnect(freerdp *instance)
{
    gdi_free(instance);
}

static BOOL on_pre_connect(freerdp *instance)
{
    instance->settings->OsMajorType = OSMAJORTYPE_UNIX;
    instance->settings->OsMinorType = OSMINORTYPE_UNSPECIFIED;
    return TRUE;
}

static BOOL on_client_new(freerdp *instance, rdpContext *context)
{
    instance->PreConnect = on_pre_connect;
    instance->PostConnect = on_post_connect;
    instance->PostDisconnect = on_post_disconnect;
    return TRUE;
}

/* ---- watchdog --------------------------------------------------------------------------- */

/* Shuts down the session's TCP socket, which makes FreeRDP's blocked read fail at once.
 * FreeRDP 2.11 exports no socket accessor; the transport's wait handle wraps the socket
 * descriptor, and the other handles are eventfds, which getsockopt rejects. */
static void shutdown_transport(rdpContext *context)
{
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    DWORD n = freerdp_get_event_handles(context, handles, MAXIMUM_WAIT_OBJECTS);

    for (DWORD i = 0; i < n; i++) {
        int fd = GetEventFileDescriptor(handles[i]);
        int type;
        socklen_t len = sizeof(type);
        if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
            shutdown(fd, SHUT_RDWR);
    }
}

static void *watchdog_main(void *arg)
{
    struct probe_session *s = arg;
    struct timespec ts;

    pthread_mutex_lock(&s->lock);
    while (s->connecting && !s->stop) {
        uint64_t now = dp_now_ms();
        if (now >= s->deadline)
            break;
        uint64_t wait = s->deadline - now;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)(wait / 1000);
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    /* Still connecting at the deadline. The lock keeps our own teardown away; FreeRDP may
     * still be failing on its own at this very moment, a window of microseconds. */
    if (s->connecting && !s->stop) {
        s->progress.timed_out = 1;
        s->progress.state = freerdp_state_string(freerdp_get_state(s->context));
        freerdp_abort_connect(s->context->instance);
        shutdown_transport(s->context);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the session -------------------------------------------------------------------- */

static int configure(struct probe_session *s)
{
    const struct probe_session_config *cfg = s->cfg;
    rdpSettings *st = s->context->settings;
    int ok = 1;

    ok &= freerdp_settings_set_string(st, FreeRDP_ServerHostname, cfg->host);
    ok &= freerdp_settings_set_uint32(st, FreeRDP_ServerPort, cfg->port);
    ok &= freerdp_settings_set_string(st, FreeRDP_Username, cfg->user);
    ok &= freerdp_settings_set_string(st, FreeRDP_Password, cfg->password);
    if (cfg->domain)
        ok &= freerdp_settings_set_string(st, FreeRDP_Domain, cfg->domain);
    /* Logon straight into the desktop: under TLS the Client Info PDU carries the password;
     * under NLA servers use the CredSSP credentials. */
    ok &= freerdp_settings_set_bool(st, FreeRDP_AutoLogonEnabled, TRUE);
    /* Nothing is verified, pinned or written to ~/.config/freerdp (documented in --help). */
    ok &= freerdp_settings_set_bool(st, FreeRDP_IgnoreCertificate, TRUE);
    ok &= freerdp_settings_set_bool(st, FreeRDP_NegotiateSecurityLayer, TRUE);
    ok &= freerdp_settings_set_bool(st, FreeRDP_NlaSecurity, cfg->sec != PROBE_SEC_TLS);
    ok &= freerdp_settings_set_bool(st, FreeRDP_TlsSecurity, cfg->sec != PROBE_SEC_NLA);
    ok &= freerdp_settings_set_bool(st, FreeRDP_RdpSecurity, FALSE);
    ok &= freerdp_settings_set_bool(st, FreeRDP_ExtSecurity, FALSE);
    ok &= freerdp_settings_set_uint32(st, FreeRDP_DesktopWidth, cfg->width);
    ok &= freerdp_settings_set_uint32(st, FreeRDP_DesktopHeight, cfg->height);
    ok &= freerdp_settings_set_uint32(st, FreeRDP_ColorDepth, 32);
    ok &= freerdp_settings_set_bool(st, FreeRDP_SoftwareGdi, TRUE);
    /* The scancode fallback of --type-text assumes a US keyboard. */
    ok &= freerdp_settings_set_uint32(st, FreeRDP_KeyboardLayout, 0x0409);
    /* No sound, drives, clipboard or reconnect loops: a probe measures the login only. */
    ok &= freerdp_settings_set_bool(st, FreeRDP_AudioPlayback, FALSE);
    ok &= freerdp_settings_set_bool(st, FreeRDP_DeviceRedirection, FALSE);
    ok &= freerdp_settings_set_bool(st, FreeRDP_AutoReconnectionEnabled, FALSE);
    /* Bounds FreeRDP's own TCP connect and its NLA-to-activation loop by our budget. */
    ok &= freerdp_settings_set_uint32(st, FreeRDP_TcpConnectTimeout, cfg->timeout_ms);
    ok &= freerdp_settings_set_uint32(st, FreeRDP_TcpAckTimeout, cfg->timeout_ms);
    if (cfg->load_balance_info) {
        /* FreeRDP sends these bytes verbatim (plus CRLF) as the X.224 routing token. */
        free(st->LoadBalanceInfo);
        st->LoadBalanceInfo = (BYTE *)strdup(cfg->load_balance_info);
        st->LoadBalanceInfoLength = (UINT32)strlen(cfg->load_balance_info);
        ok &= st->LoadBalanceInfo != NULL;
    }
    return ok ? 0 : -1;
}

static void fail(struct probe_session *s, enum probe_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct probe_session *s, enum probe_status status, const char *fmt, ...)
{
    va_list ap;
    s->res->status = status;
    va_start(ap, fmt);
    vsnprintf(s->res->message, sizeof(s->res->message), fmt, ap);
    va_end(ap);
}

/* Whether the event loop may stop. */
typedef int (*pump_done_fn)(const struct probe_session *s, uint64_t now, unsigned mark);

static int have_frame(const struct probe_session *s, uint64_t now, unsigned mark)
{
    return s->frames > mark;
}

static int quiet(const struct probe_session *s, uint64_t now, unsigned quiet_ms)
{
    return now - s->last_frame_ms >= quiet_ms;
}

/*
 * Runs FreeRDP's event loop until done() says so (1), the deadline passes (0), or the
 * connection ends (-1).
 */
static int pump(struct probe_session *s, uint64_t deadline, pump_done_fn done, unsigned arg)
{
    freerdp *instance = s->context->instance;
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];

    for (;;) {
        uint64_t now = dp_now_ms();
        if (done(s, now, arg))
            return 1;
        if (now >= deadline)
            return 0;
        if (freerdp_shall_disconnect(instance))
            return -1;
        DWORD n = freerdp_get_event_handles(s->context, handles, MAXIMUM_WAIT_OBJECTS);
        if (n == 0)
            return -1;
        uint64_t wait = deadline - now;
        if (wait > PUMP_TICK_MS)
            wait = PUMP_TICK_MS;
        if (WaitForMultipleObjects(n, handles, FALSE, (DWORD)wait) == WAIT_FAILED)
            return -1;
        if (!freerdp_check_event_handles(s->context))
            return -1;
    }
}

static void fail_dropped(struct probe_session *s, const char *when)
{
    freerdp *instance = s->context->instance;
    UINT32 info = freerdp_error_info(instance);
    UINT32 e = freerdp_get_last_error(s->context);

    s->res->freerdp_error = e;
    fail(s, PROBE_ERROR,
         "%s: the server ended the session %s (%s, error info 0x%08X); see its "
         "log, or run with --verbose",
         s->target, when, freerdp_get_last_error_name(e), (unsigned)info);
}

static void wait_quiet(struct probe_session *s, unsigned quiet_ms)
{
    /* Running out of time while settling is no failure: the picture just is what it is. */
    if (quiet_ms > 0 && pump(s, s->deadline, quiet, quiet_ms) < 0)
        fail_dropped(s, "while waiting for the screen to settle");
}

volatile sig_atomic_t probe_hold_stop;

static int hold_over(const struct probe_session *s, uint64_t now, unsigned mark)
{
    return probe_hold_stop || s->frames > mark;
}

/* Stays connected for cfg->hold_ms (or until probe_hold_stop), each frame proving the
 * relay still carries the desktop; a drop or a long silence is a failure. */
static void hold(struct probe_session *s)
{
    uint64_t end = dp_now_ms() + s->cfg->hold_ms;
    while (!probe_hold_stop && dp_now_ms() < end) {
        uint64_t gap_end = s->last_frame_ms + PROBE_HOLD_GAP_MS;
        int rc = pump(s, gap_end < end ? gap_end : end, hold_over, s->frames);
        if (rc < 0 && probe_hold_stop)
            return; /* the signal interrupted the wait: the end that was asked for */
        if (rc < 0) {
            fail_dropped(s, "while the session was held (--hold)");
            return;
        }
        if (rc == 0 && dp_now_ms() >= gap_end && dp_now_ms() < end) {
            fail(s, PROBE_NO_FRAME,
                 "%s: the desktop drew nothing for %d s while the session was held (--hold); "
                 "is the relay or the desktop stuck?",
                 s->target, PROBE_HOLD_GAP_MS / 1000);
            return;
        }
    }
}

static int never(const struct probe_session *s, uint64_t now, unsigned arg)
{
    return 0;
}

/*
 * Logs off the way a user of deskpool-desktop does: Enter first (a resumed session may hold
 * a half-typed line, which "logoff" would only extend), then "logoff" and Enter. The server
 * must end the session with the Set Error Info PDU ERRINFO_LOGOFF_BY_USER within a fresh
 * --timeout.
 */
static void log_off(struct probe_session *s)
{
    freerdp *instance = s->context->instance;
    char msg[256];
    uint64_t sent = dp_now_ms();

    if (probe_type_text(s->context->input, s->context->settings->UnicodeInput, "\nlogoff\n", msg,
                        sizeof(msg)) < 0) {
        fail(s, PROBE_ERROR, "%s", msg);
        return;
    }
    int rc = pump(s, sent + s->cfg->timeout_ms, never, 0);
    UINT32 info = freerdp_error_info(instance);
    enum probe_status st =
        probe_classify_logoff(rc < 0, info, freerdp_get_error_info_name(info), s->target,
                              s->cfg->timeout_ms, s->res->message, sizeof(s->res->message));
    if (st != PROBE_OK) {
        s->res->status = st;
        if (st == PROBE_ERROR)
            s->res->freerdp_error = freerdp_get_last_error(s->context);
        return;
    }
    s->res->logoff_ms = (long)(dp_now_ms() - sent);
}

static void keep_picture(struct probe_session *s)
{
    rdpGdi *gdi = s->context->gdi;
    struct probe_result *res = s->res;

    res->width = (unsigned)gdi->width;
    res->height = (unsigned)gdi->height;
    res->distinct_colours =
        probe_count_colours(gdi->primary_buffer, res->width, res->height, gdi->stride);
    if (!s->cfg->keep_framebuffer)
        return;
    res->stride = gdi->stride;
    res->pixels = malloc(res->stride * res->height);
    if (!res->pixels) {
        fail(s, PROBE_ERROR, "out of memory copying the %ux%u picture", res->width, res->height);
        return;
    }
    memcpy(res->pixels, gdi->primary_buffer, res->stride * res->height);
}

/* After the first frame: settle, type, wait for the echo, take the picture. */
static void after_first_frame(struct probe_session *s)
{
    const struct probe_session_config *cfg = s->cfg;
    char msg[256];

    wait_quiet(s, cfg->settle_ms);
    if (s->res->status != PROBE_OK)
        return;
    if (cfg->type_text) {
        int unicode = s->context->settings->UnicodeInput;
        unsigned mark = s->frames;
        uint64_t sent = dp_now_ms();
        if (probe_type_text(s->context->input, unicode, cfg->type_text, msg, sizeof(msg)) < 0) {
            fail(s, PROBE_ERROR, "%s", msg);
            return;
        }
        int rc = pump(s, s->deadline, have_frame, mark);
        if (rc < 0) {
            fail_dropped(s, "after the text was typed");
            return;
        }
        if (rc == 0) {
            fail(s, PROBE_NO_FRAME,
                 "%s: the desktop drew nothing within the timeout after %zu characters were "
                 "typed (%s key events); does it show typed text?",
                 s->target, strlen(cfg->type_text), unicode ? "unicode" : "scancode");
            keep_picture(s);
            return;
        }
        s->res->typed_frame_ms = (long)(s->last_frame_ms - sent);
        wait_quiet(s, cfg->settle_ms > TYPE_SETTLE_MIN_MS ? cfg->settle_ms : TYPE_SETTLE_MIN_MS);
        if (s->res->status != PROBE_OK)
            return;
    }
    keep_picture(s);
    if (cfg->hold_ms && s->res->status == PROBE_OK)
        hold(s);
    if (cfg->logoff && s->res->status == PROBE_OK)
        log_off(s);
}

/*
 * A failure before TLS may be a refused TCP connection in disguise (see probe_tcp.h); one
 * plain connect tells which, so the message names the real cause.
 */
static void explain_early_failure(struct probe_session *s)
{
    char why[128];
    uint64_t now = dp_now_ms();
    unsigned left = now < s->deadline ? (unsigned)(s->deadline - now) : 0;

    if (s->res->status != PROBE_UNREACHABLE || s->progress.timed_out || s->progress.reached_nla ||
        s->progress.passed_nla)
        return;
    if (left > 2000)
        left = 2000;
    if (probe_tcp_check(s->cfg->host, s->cfg->port, left ? left : 1, why, sizeof(why)) == 0)
        return;
    snprintf(s->res->message, sizeof(s->res->message),
             "cannot connect to %s: %s; check the host and port, and that the RDP server runs",
             s->target, why);
}

static void connect_and_watch(struct probe_session *s)
{
    freerdp *instance = s->context->instance;
    pthread_t watchdog;
    int have_watchdog;

    s->t0 = dp_now_ms();
    s->deadline = s->t0 + s->cfg->timeout_ms;
    s->connecting = 1;
    have_watchdog = pthread_create(&watchdog, NULL, watchdog_main, s) == 0;

    BOOL ok = freerdp_connect(instance);

    pthread_mutex_lock(&s->lock);
    s->connecting = 0;
    s->stop = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (have_watchdog)
        pthread_join(watchdog, NULL);

    if (!ok) {
        UINT32 e = freerdp_get_last_error(s->context);
        if (!s->progress.state)
            s->progress.state = freerdp_state_string(s->stop_state);
        s->progress.dropped_in_mcs = s->stop_state == CONNECTION_STATE_MCS_CONNECT;
        s->res->freerdp_error = e;
        s->res->status =
            probe_classify_failure(e, freerdp_get_last_error_name(e), &s->progress, s->target,
                                   s->cfg->timeout_ms, s->res->message, sizeof(s->res->message));
        explain_early_failure(s);
        return;
    }
    s->progress.connected = 1;
    s->res->connect_ms = (long)(dp_now_ms() - s->t0);

    int rc = pump(s, s->deadline, have_frame, 0);
    if (rc < 0)
        fail_dropped(s, "before drawing the desktop");
    else if (rc == 0)
        fail(s, PROBE_NO_FRAME,
             "%s: logged in after %ld ms but the desktop drew nothing within %u s; is the "
             "desktop session starting? retry with a longer --timeout",
             s->target, s->res->connect_ms, s->cfg->timeout_ms / 1000);
    else
        after_first_frame(s);
    s->res->frames = s->frames;

    /* FreeRDP 2.11's client API has no Shutdown Request PDU: closing the connection is the
     * clean end it offers; the server sees the client leave. */
    freerdp_disconnect(instance);
}

void probe_session_run(const struct probe_session_config *cfg, struct probe_result *res)
{
    struct probe_session s;
    RDP_CLIENT_ENTRY_POINTS entry;

    memset(res, 0, sizeof(*res));
    res->connect_ms = res->first_frame_ms = res->typed_frame_ms = res->logoff_ms = -1;
    res->distinct_colours = -1;
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.res = res;
    snprintf(s.target, sizeof(s.target), strchr(cfg->host, ':') ? "[%s]:%u" : "%s:%u", cfg->host,
             cfg->port);

    memset(&entry, 0, sizeof(entry));
    entry.Version = RDP_CLIENT_INTERFACE_VERSION;
    entry.Size = sizeof(RDP_CLIENT_ENTRY_POINTS_V1);
    entry.ContextSize = sizeof(struct probe_ctx);
    entry.ClientNew = on_client_new;

    s.context = freerdp_client_context_new(&entry);
    if (!s.context) {
        fail(&s, PROBE_ERROR, "cannot create a FreeRDP client context (out of memory?)");
        return;
    }
    ((struct probe_ctx *)s.context)->session = &s;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s.wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s.lock, NULL);

    if (configure(&s) < 0)
        fail(&s, PROBE_ERROR, "cannot set FreeRDP's connection settings (out of memory?)");
    else if (watch_states(s.context) < 0)
        fail(&s, PROBE_ERROR, "cannot watch FreeRDP's connection state");
    else
        connect_and_watch(&s);

    PubSub_UnsubscribeConnectionStateChange(s.context->pubSub, on_state_change);
    freerdp_client_context_free(s.context);
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.wake);
}

void probe_result_free(struct probe_result *res)
{
    free(res->pixels);
    res->pixels = NULL;
}
