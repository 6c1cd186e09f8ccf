/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTPS request with the broker's certificate checked first (see https.h). */
#include "https.h"

#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static int connect_tcp(const struct broker_addr *a, int timeout_ms, struct dp_err *err)
{
    char port[8];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res, *ai;
    snprintf(port, sizeof port, "%u", a->port);
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0) {
        dp_err_set(err, "cannot reach the broker at %s: %s; check the name (--broker)", a->canon,
                   gai_strerror(rc));
        return -1;
    }
    int fd = -1, last = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int so = 0;
            socklen_t sl = sizeof so;
            int pr = poll(&p, 1, timeout_ms);
            if (pr > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
                break;
            last = pr == 0 ? ETIMEDOUT : so ? so : errno;
        } else
            last = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        dp_err_set(err, "cannot reach the broker at %s: %s; is deskpoold running there?", a->canon,
                   strerror(last));
        return -1;
    }
    /* Blocking from here on, each read and write bounded by the timeout. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static SSL_CTX *make_ctx(const struct https_trust *t, struct dp_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        dp_err_set(err, "cannot set up TLS (OpenSSL: out of memory?)");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* The handshake always completes; the verdict is ours, after it, before any byte of the
     * request (see https.h). A broker closing without close_notify is fine: every answer is
     * framed by Content-Length or chunks, which the parser checks. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    int ok = t->ca_file ? SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL)
                        : SSL_CTX_set_default_verify_paths(ctx);
    if (!ok && t->ca_file) {
        dp_err_set(err, "cannot read the CA certificate %s (--ca); give a PEM file", t->ca_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int fingerprint_of(SSL *ssl, char out[CONN_FP_LEN + 1])
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!cert)
        return -1;
    int ok = X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32;
    X509_free(cert);
    if (!ok)
        return -1;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* The verdict on the certificate (see https.h). Returns HTTP_OK or HTTP_UNTRUSTED + err. */
static int judge(SSL *ssl, const struct broker_addr *a, const struct https_trust *t,
                 struct https_peer *peer, struct dp_err *err)
{
    char shown[100];
    if (fingerprint_of(ssl, peer->fingerprint) != 0) {
        dp_err_set(err, "the broker at %s sent no certificate; check --broker", a->canon);
        return t->insecure ? HTTP_OK : HTTP_UNTRUSTED;
    }
    if (t->insecure)
        return HTTP_OK;
    fingerprint_display(peer->fingerprint, shown, sizeof shown);
    long vr = SSL_get_verify_result(ssl);
    snprintf(peer->why, sizeof peer->why, "%s", X509_verify_cert_error_string(vr));
    if (t->ca_file) {
        if (vr == X509_V_OK)
            return HTTP_OK;
        dp_err_set(err,
                   "the broker at %s has a certificate that %s does not vouch for (%s); check "
                   "--broker and --ca",
                   a->canon, t->ca_file, peer->why);
        return HTTP_UNTRUSTED;
    }
    if (t->pin && t->pin[0]) {
        if (CRYPTO_memcmp(t->pin, peer->fingerprint, CONN_FP_LEN) == 0)
            return HTTP_OK;
        peer->pin_mismatch = 1;
        dp_err_set(err,
                   "the broker at %s shows a different certificate than the one remembered "
                   "(SHA-256 %s). Someone may be intercepting the connection. If the broker's "
                   "certificate was really replaced, ask its admin for the new fingerprint and "
                   "give it with --fingerprint",
                   a->canon, shown);
        return HTTP_UNTRUSTED;
    }
    if (vr == X509_V_OK)
        return HTTP_OK;
    dp_err_set(err,
               "the broker at %s has a certificate this system does not trust (%s), SHA-256 %s; "
               "check it with the broker's admin, then run deskpool-connect on a terminal to "
               "accept it, or give --fingerprint or --ca",
               a->canon, peer->why, shown);
    return HTTP_UNTRUSTED;
}

static int ssl_write_all(SSL *ssl, const char *p, size_t n)
{
    while (n > 0) {
        int w = SSL_write(ssl, p, n > 65536 ? 65536 : (int)n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_response(SSL *ssl, const struct broker_addr *a, struct http_response *resp,
                         struct dp_err *err)
{
    size_t len = 0, cap = 16384;
    char *buf = malloc(cap);
    int result = HTTP_UNREACHABLE;
    if (!buf) {
        dp_err_set(err, "out of memory reading the broker's answer");
        return HTTP_UNREACHABLE;
    }
    for (;;) {
        if (len == cap) {
            char *nb = cap >= HTTP_MAX_RAW ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                dp_err_set(err, "the broker's answer is too large; refusing it");
                result = HTTP_BAD_RESPONSE;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        int r = SSL_read(ssl, buf + len, (int)(cap - len));
        int eof = 0;
        if (r <= 0) {
            int e = SSL_get_error(ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
                eof = 1;
            else {
                dp_err_set(err,
                           "the broker at %s did not answer in time or dropped the connection; "
                           "see its log, or retry with a longer --timeout",
                           a->canon);
                break;
            }
        } else
            len += (size_t)r;
        struct dp_err perr = {0};
        int rc = http_response_parse(buf, len, eof, resp, &perr);
        if (rc == HTTP_PARSE_DONE) {
            result = HTTP_OK;
            break;
        }
        if (rc == HTTP_PARSE_ERROR) {
            dp_err_set(err, "the broker at %s sent a bad answer: %s", a->canon, dp_err_msg(&perr));
            result = HTTP_BAD_RESPONSE;
            break;
        }
    }
    free(buf);
    return result;
}

int https_request(const struct broker_addr *a, const struct https_trust *trust,
                  const struct http_request *req, const char *bearer, int timeout_ms,
                  struct http_response *resp, struct https_peer *peer, struct dp_err *err)
{
    if (resp)
        memset(resp, 0, sizeof *resp);
    memset(peer, 0, sizeof *peer);
    SSL_CTX *ctx = make_ctx(trust, err);
    if (!ctx)
        return trust->ca_file ? HTTP_UNTRUSTED : HTTP_UNREACHABLE;
    int fd = connect_tcp(a, timeout_ms, err);
    if (fd < 0) {
        SSL_CTX_free(ctx);
        return HTTP_UNREACHABLE;
    }
    int result = HTTP_UNREACHABLE;
    char *head = NULL;
    SSL *ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        dp_err_set(err, "cannot set up TLS (OpenSSL: out of memory?)");
        goto out;
    }
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    if (is_ip(a->host))
        X509_VERIFY_PARAM_set1_ip_asc(vp, a->host);
    else {
        SSL_set_tlsext_host_name(ssl, a->host);
        X509_VERIFY_PARAM_set1_host(vp, a->host, 0);
    }
    if (SSL_connect(ssl) != 1) {
        unsigned long e = ERR_peek_last_error();
        dp_err_set(err,
                   "TLS handshake with the broker at %s failed (%s); is it deskpoold's "
                   "HTTPS port?",
                   a->canon, e ? ERR_reason_error_string(e) : "connection closed or timed out");
        ERR_clear_error();
        goto out;
    }
    result = judge(ssl, a, trust, peer, err);
    if (result != HTTP_OK || !req)
        goto out;
    result = HTTP_UNREACHABLE;
    char host[300];
    snprintf(host, sizeof host, strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
    size_t head_len;
    head = http_format_head(req, host, bearer, "deskpool-connect", &head_len);
    if (!head) {
        dp_err_set(err, "cannot format the request (a line break in a name?)");
        goto out;
    }
    if (ssl_write_all(ssl, head, head_len) != 0 ||
        (req->body && ssl_write_all(ssl, req->body, req->body_len) != 0)) {
        dp_err_set(err, "lost the connection to the broker at %s while sending", a->canon);
        goto out;
    }
    result = read_response(ssl, a, resp, err);
out:
    if (head) {
        /* The head may carry the session token. */
        explicit_bzero(head, strlen(head));
        free(head);
    }
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    close(fd);
    SSL_CTX_free(ctx);
    return result;
}
