/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load helper for bench/gw_bench.sh: both ends of a relayed RDP-like connection, so the
 * gateway's two relay paths can be measured without a real desktop.
 *
 *   gw_load sink PORT [--tls CERT KEY NTOWFV2_HEX]
 *       The "VM": one thread per connection. Reads the X.224 Connection Request, answers a
 *       Connection Confirm (HYBRID with --tls, else SSL), and with --tls does TLS and a
 *       CredSSP server login (WinPR NTLM, the gateway's own state machine) for the user whose
 *       NTOWFv2 hash (HMAC-MD5 of the NT hash over UPPER(user), empty domain) is given,
 *       then reads one TPKT (the client's MCS Connect Initial, as the gateway patched it).
 *       Then one command byte from the client: 'S' streams 16 KiB TPKT frames until the
 *       client goes, 'E' echoes fixed-size messages, 'I' holds the connection idle.
 *   gw_load stream HOST PORT SECONDS [CLIENT]   -> {"mb_s":…,"bytes":…,"seconds":…}
 *   gw_load echo HOST PORT COUNT SIZE [CLIENT]  -> {"p50_us":…,"p99_us":…,"count":…}
 *   gw_load idle HOST PORT N HOLD_S [CLIENT]    opens N connections (50 at a time), prints
 *       "ready OK failed F", holds them for HOLD_S seconds (or until killed), then exits.
 *   CLIENT: --token PREFIX (routing token "PREFIX-<pid>-<i>": the gateway's splice path),
 *           --tls USER PASSWORD (TLS + CredSSP login to whatever answers: the gateway's NLA
 *           path, or the sink directly), or nothing (plain TCP after X.224).
 * With --tls the client sends the MCS Connect Initial xfreerdp sends (captured in
 * tests/unit/test_gw_mcs_patch.c) before its command, so the gateway's relay accepts it.
 * Frames from the sink are TPKTs (03 00 len) whose payload is not MCS data, so the relay's
 * redirection filter frames and forwards every one.
 */
#include "credssp_client.h"
#include "credssp_server.h"
#include "tls.h"
#include "tsrequest.h"
#include "x224.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define FRAME 16384
#define CHUNK (16 * FRAME)

static const char XFREERDP_CI[] =
    "030001c302f0807f658201b70401010401010101ff301a020122020102020100020101020100020101020300"
    "ffff0201023019020101020101020101020101020100020101020204200201023020020300ffff020300fc17"
    "020300ffff020101020100020101020300ffff02010204820151000500147c00018148000800100001c00044"
    "756361813a01c0ea000c0008000004000301ca03aa09040000bb47000076006d000000000000000000000000"
    "000000000000000000000000000000000004000000000000000c000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000001ca01000000000018000f00e30500000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000700010000"
    "0000000000000000000000000000000000000004c00c000d0000000000000002c00c00000000000000000003"
    "c03800040000007264706472000000000080c0726470736e640000000000c0636c6970726472000000a0c064"
    "7264796e766300000080c0";

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "gw_load: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- blocking I/O over a socket or TLS ---- */

struct io {
    int fd;
    SSL *ssl;
};

static ssize_t io_read(struct io *io, void *buf, size_t n)
{
    if (io->ssl) {
        int r = SSL_read(io->ssl, buf, (int)n);
        return r > 0 ? r : -1;
    }
    ssize_t r;
    do
        r = read(io->fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r > 0 ? r : -1;
}

static int io_read_full(struct io *io, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = io_read(io, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int io_write(struct io *io, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r;
        if (io->ssl) {
            int w = SSL_write(io->ssl, p, (int)n);
            r = w > 0 ? w : -1;
        } else {
            do
                r = write(io->fd, p, n);
            while (r < 0 && errno == EINTR);
        }
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One TPKT (03 00 len_hi len_lo ...) into buf; its length or -1. */
static int read_tpkt(struct io *io, uint8_t *buf, size_t cap)
{
    if (io_read_full(io, buf, 4) < 0 || buf[0] != 3)
        return -1;
    size_t len = (size_t)buf[2] << 8 | buf[3];
    if (len < 4 || len > cap || io_read_full(io, buf + 4, len - 4) < 0)
        return -1;
    return (int)len;
}

/* One whole TSRequest (DER SEQUENCE) into a malloc'd buffer. */
static uint8_t *read_tsrequest(struct io *io, size_t *len)
{
    uint8_t head[6];
    size_t have = 0, total = 0;
    struct dp_err err = {0};
    for (;;) {
        if (io_read_full(io, head + have, 1) < 0)
            return NULL;
        have++;
        int fr = gw_tsrequest_frame_len(head, have, &total, &err);
        if (fr == GW_ERROR)
            return NULL;
        if (fr == GW_OK)
            break;
        if (have == sizeof head)
            return NULL;
    }
    uint8_t *p = malloc(total);
    if (!p)
        return NULL;
    memcpy(p, head, have);
    if (io_read_full(io, p + have, total - have) < 0) {
        free(p);
        return NULL;
    }
    *len = total;
    return p;
}

static int send_evbuffer(struct io *io, struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    if (!n)
        return 0;
    uint8_t *p = evbuffer_pullup(b, (ev_ssize_t)n);
    int rc = io_write(io, p, n);
    evbuffer_drain(b, n);
    return rc;
}

/* ---- the sink ("VM") ---- */

static struct {
    SSL_CTX *ssl;
    struct gw_pubkey pub;
    uint8_t hash[16];
} sink;

static int sink_credssp(struct io *io)
{
    struct dp_err err = {0};
    struct gw_cssp_server *s = gw_cssp_server_new(&sink.pub, &err);
    struct evbuffer *out = evbuffer_new();
    int rc = -1;
    while (s && out) {
        size_t len;
        uint8_t *p = read_tsrequest(io, &len);
        if (!p)
            break;
        int step = gw_cssp_server_input(s, p, len, out, &err);
        free(p);
        if (step == GW_CSSP_NEED_HASH)
            step = gw_cssp_server_set_hash(s, sink.hash, out, &err);
        if (send_evbuffer(io, out) < 0)
            break;
        if (step == GW_CSSP_DONE) {
            rc = 0;
            break;
        }
        if (step != GW_CSSP_SEND) {
            fprintf(stderr, "gw_load sink: CredSSP step %d: %s\n", step, dp_err_msg(&err));
            break;
        }
    }
    if (out)
        evbuffer_free(out);
    gw_cssp_server_free(s);
    return rc;
}

static void *sink_conn(void *arg)
{
    struct io io = {(int)(intptr_t)arg, NULL};
    static uint8_t frames[CHUNK];
    uint8_t buf[FRAME];
    struct gw_x224_cc cc = {GW_X224_CC_NEG_RSP, 0, sink.ssl ? GW_PROTOCOL_HYBRID : GW_PROTOCOL_SSL,
                            0};
    uint8_t ccb[GW_X224_CC_NEG_SIZE];
    struct dp_err err = {0};
    int n = gw_x224_cc_build(&cc, ccb, sizeof ccb, &err);
    if (read_tpkt(&io, buf, sizeof buf) < 0 || n < 0 || io_write(&io, ccb, (size_t)n) < 0)
        goto out;
    if (sink.ssl) {
        io.ssl = SSL_new(sink.ssl);
        SSL_set_fd(io.ssl, io.fd);
        if (SSL_accept(io.ssl) != 1 || sink_credssp(&io) < 0)
            goto out;
        if (read_tpkt(&io, buf, sizeof buf) < 0) /* MCS Connect Initial */
            goto out;
    }
    uint8_t cmd;
    if (io_read_full(&io, &cmd, 1) < 0)
        goto out;
    if (cmd == 'S') {
        if (!frames[0])
            for (size_t off = 0; off < CHUNK; off += FRAME) {
                frames[off + 2] = FRAME >> 8;
                frames[off + 3] = FRAME & 0xff;
                frames[off] = 3;
            }
        while (io_write(&io, frames, CHUNK) == 0)
            ;
    } else if (cmd == 'E') {
        uint8_t sz[2];
        if (io_read_full(&io, sz, 2) < 0)
            goto out;
        size_t size = (size_t)sz[0] << 8 | sz[1];
        if (size < 4 || size > sizeof buf)
            goto out;
        while (io_read_full(&io, buf, size) == 0 && io_write(&io, buf, size) == 0)
            ;
    } else {
        while (io_read(&io, buf, sizeof buf) > 0)
            ;
    }
out:
    if (io.ssl)
        SSL_free(io.ssl);
    close(io.fd);
    return NULL;
}

static int run_sink(int argc, char **argv)
{
    int port = atoi(argv[2]);
    if (argc >= 7 && !strcmp(argv[3], "--tls")) {
        struct dp_err err = {0};
        sink.ssl = gw_tls_server_ctx(argv[4], argv[5], &sink.pub, &err);
        if (!sink.ssl)
            die("%s", dp_err_msg(&err));
        /* WinPR 2.11's NTOWFv2A needs MD4, which OpenSSL 3 keeps in its legacy provider:
         * the caller computes the hash (as the fake broker does) and passes it in hex. */
        const char *hex = argv[6];
        if (strlen(hex) != 32)
            die("%s", "NTOWFV2_HEX must be 32 hex digits");
        for (int i = 0; i < 16; i++)
            if (sscanf(hex + 2 * i, "%2hhx", &sink.hash[i]) != 1)
                die("bad hex digit in %s", hex);
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 4096) < 0)
        die("cannot listen on port %s", argv[2]);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    fprintf(stderr, "gw_load sink listening on %d%s\n", port, sink.ssl ? " (TLS + CredSSP)" : "");
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                usleep(10000);
                continue;
            }
            die("%s", "accept failed");
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, &attr, sink_conn, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
    return 0;
}

/* ---- clients ---- */

static struct {
    const char *host;
    int port;
    const char *token;
    const char *user, *password;
    SSL_CTX *ssl;
} cl;

static int connect_tcp(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cl.port)};
    if (inet_pton(AF_INET, cl.host, &a.sin_addr) != 1)
        die("bad IPv4 address %s", cl.host);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        die("%s", "socket failed (open-file limit?)");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_cr(struct io *io, int i)
{
    struct gw_x224_cr cr = {0};
    struct dp_err err = {0};
    if (cl.token) {
        cr.line_kind = GW_X224_LINE_ROUTING_TOKEN;
        snprintf(cr.value, sizeof cr.value, "%s-%d-%d", cl.token, (int)getpid(), i);
    } else {
        cr.line_kind = GW_X224_LINE_USER;
        snprintf(cr.value, sizeof cr.value, "%s", cl.user ? cl.user : "bench");
    }
    cr.value_len = strlen(cr.value);
    cr.has_neg_req = 1;
    cr.requested_protocols = GW_PROTOCOL_SSL | GW_PROTOCOL_HYBRID;
    uint8_t buf[GW_X224_CR_MAX];
    int n = gw_x224_cr_build(&cr, buf, sizeof buf, &err);
    return n < 0 ? -1 : io_write(io, buf, (size_t)n);
}

static int read_cc(struct io *io)
{
    uint8_t buf[64];
    int n = read_tpkt(io, buf, sizeof buf);
    struct gw_x224_cc cc;
    size_t used;
    struct dp_err err = {0};
    if (n < 0 || gw_x224_cc_parse(buf, (size_t)n, &cc, &used, &err) != GW_OK ||
        cc.kind != GW_X224_CC_NEG_RSP)
        return -1;
    return 0;
}

static int client_login(struct io *io)
{
    struct dp_err err = {0};
    struct gw_pubkey pub = {0};
    io->ssl = SSL_new(cl.ssl);
    SSL_set_fd(io->ssl, io->fd);
    if (SSL_connect(io->ssl) != 1 || gw_tls_peer_pubkey(io->ssl, &pub, &err) < 0)
        return -1;
    struct gw_cssp_client *c = gw_cssp_client_new(cl.user, "", cl.password, &pub, &err);
    gw_pubkey_free(&pub);
    struct evbuffer *out = evbuffer_new();
    int rc = -1, step = c ? gw_cssp_client_start(c, out, &err) : GW_CSSP_FAIL;
    while (step == GW_CSSP_SEND && send_evbuffer(io, out) == 0) {
        size_t len;
        uint8_t *p = read_tsrequest(io, &len);
        if (!p)
            break;
        step = gw_cssp_client_input(c, p, len, out, &err);
        free(p);
        if (step == GW_CSSP_DONE) {
            rc = send_evbuffer(io, out);
            break;
        }
    }
    if (rc < 0)
        fprintf(stderr, "gw_load: CredSSP login as %s failed (step %d): %s\n", cl.user, step,
                dp_err_msg(&err));
    evbuffer_free(out);
    gw_cssp_client_free(c);
    if (rc == 0) {
        uint8_t ci[600];
        size_t n = 0;
        for (const char *h = XFREERDP_CI; h[0] && h[1] && n < sizeof ci; h += 2)
            sscanf(h, "%2hhx", &ci[n++]);
        rc = io_write(io, ci, n);
    }
    return rc;
}

/* Connects and logs in up to the command byte. 0 or -1. */
static int client_open(struct io *io, int i, char cmd)
{
    io->ssl = NULL;
    io->fd = connect_tcp();
    if (io->fd < 0 || send_cr(io, i) < 0 || read_cc(io) < 0)
        return -1;
    if (cl.ssl && client_login(io) < 0)
        return -1;
    return io_write(io, &cmd, 1);
}

static void client_close(struct io *io)
{
    if (io->ssl) {
        SSL_free(io->ssl);
        io->ssl = NULL;
    }
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
}

static int parse_client(int argc, char **argv, int at)
{
    for (int i = at; i < argc; i++) {
        if (!strcmp(argv[i], "--token") && i + 1 < argc) {
            cl.token = argv[++i];
        } else if (!strcmp(argv[i], "--tls") && i + 2 < argc) {
            cl.user = argv[++i];
            cl.password = argv[++i];
            struct dp_err err = {0};
            cl.ssl = gw_tls_backend_ctx(&err);
            if (!cl.ssl)
                die("%s", dp_err_msg(&err));
        } else {
            die("unknown option %s", argv[i]);
        }
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int run_stream(double seconds)
{
    struct io io;
    if (client_open(&io, 0, 'S') < 0)
        die("%s", "stream: cannot connect and log in");
    static uint8_t buf[CHUNK];
    uint64_t bytes = 0, t0 = 0, warm = 0;
    for (;;) {
        ssize_t r = io_read(&io, buf, sizeof buf);
        if (r <= 0)
            die("%s", "stream: connection ended early");
        uint64_t t = now_ns();
        if (!t0) {
            t0 = t; /* the first 0.3 s warm up (TCP windows, TLS buffers); not counted */
            warm = t0 + 300000000u;
        }
        if (t < warm)
            continue;
        if (!bytes)
            t0 = t;
        bytes += (uint64_t)r;
        if ((double)(t - t0) / 1e9 >= seconds)
            break;
    }
    double s = (double)(now_ns() - t0) / 1e9;
    client_close(&io);
    printf("{\"mb_s\": %.1f, \"bytes\": %llu, \"seconds\": %.2f}\n", (double)bytes / s / 1e6,
           (unsigned long long)bytes, s);
    return 0;
}

static int run_echo(int count, int size)
{
    struct io io;
    if (size < 4 || size > FRAME)
        die("%s", "echo: SIZE must be 4..16384");
    if (client_open(&io, 0, 'E') < 0)
        die("%s", "echo: cannot connect and log in");
    uint8_t sz[2] = {(uint8_t)(size >> 8), (uint8_t)size};
    uint8_t msg[FRAME] = {3, 0, (uint8_t)(size >> 8), (uint8_t)size}, back[FRAME];
    uint64_t *rtt = calloc((size_t)count, sizeof *rtt);
    if (!rtt || io_write(&io, sz, 2) < 0)
        die("%s", "echo: setup failed");
    for (int i = -50; i < count; i++) { /* 50 warm-up round trips */
        uint64_t t = now_ns();
        if (io_write(&io, msg, (size_t)size) < 0 || io_read_full(&io, back, (size_t)size) < 0)
            die("%s", "echo: connection ended early");
        if (i >= 0)
            rtt[i] = now_ns() - t;
    }
    client_close(&io);
    qsort(rtt, (size_t)count, sizeof *rtt, cmp_u64);
    /* nearest rank */
    size_t p50 = (size_t)((count * 50 + 99) / 100) - 1, p99 = (size_t)((count * 99 + 99) / 100) - 1;
    printf("{\"p50_us\": %.1f, \"p99_us\": %.1f, \"count\": %d, \"size\": %d}\n",
           (double)rtt[p50] / 1e3, (double)rtt[p99] / 1e3, count, size);
    free(rtt);
    return 0;
}

static int run_idle(int n, int hold_s)
{
    struct io *io = calloc((size_t)n, sizeof *io);
    int ok = 0, failed = 0;
    if (!io)
        die("%s", "out of memory");
    /* In batches: connect and send the request on a batch, then read the confirms. */
    const int batch = 50;
    for (int b = 0; b < n; b += batch) {
        int e = b + batch < n ? b + batch : n;
        for (int i = b; i < e; i++) {
            io[i].ssl = NULL;
            io[i].fd = connect_tcp();
            if (io[i].fd < 0 || send_cr(&io[i], i) < 0)
                client_close(&io[i]);
        }
        for (int i = b; i < e; i++) {
            char cmd = 'I';
            if (io[i].fd >= 0 && (read_cc(&io[i]) < 0 || (cl.ssl && client_login(&io[i]) < 0) ||
                                  io_write(&io[i], &cmd, 1) < 0))
                client_close(&io[i]);
            if (io[i].fd >= 0)
                ok++;
            else
                failed++;
        }
    }
    printf("ready %d failed %d\n", ok, failed);
    fflush(stdout);
    /* Hold until hold_s passes (or the bench script ends this process). */
    uint64_t end = now_ns() + (uint64_t)hold_s * 1000000000u;
    while (now_ns() < end)
        usleep(100000);
    for (int i = 0; i < n; i++)
        client_close(&io[i]);
    free(io);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "sink"))
        return run_sink(argc, argv);
    if (argc >= 5) {
        cl.host = argv[2];
        cl.port = atoi(argv[3]);
        if (!strcmp(argv[1], "stream")) {
            parse_client(argc, argv, 5);
            return run_stream(atof(argv[4]));
        }
        if (!strcmp(argv[1], "echo") && argc >= 6) {
            parse_client(argc, argv, 6);
            return run_echo(atoi(argv[4]), atoi(argv[5]));
        }
        if (!strcmp(argv[1], "idle") && argc >= 6) {
            parse_client(argc, argv, 6);
            return run_idle(atoi(argv[4]), atoi(argv[5]));
        }
    }
    fprintf(stderr, "usage: gw_load sink PORT [--tls CERT KEY NTOWFV2_HEX]\n"
                    "       gw_load stream HOST PORT SECONDS [--token P | --tls USER PW]\n"
                    "       gw_load echo HOST PORT COUNT SIZE [--token P | --tls USER PW]\n"
                    "       gw_load idle HOST PORT N HOLD_S [--token P | --tls USER PW]\n");
    return 2;
}
