/* SPDX-License-Identifier: Apache-2.0 */
/* The readiness probe: X.224 Connection Confirm parsing, and the probe against live sockets. */
#include "check_x224.h"

#include <arpa/inet.h>
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A Connection Confirm selecting HYBRID, as FreeRDP servers send it. */
static const uint8_t cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
                             0x00, 0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00};

START_TEST(parse_cc_whole_partial_and_wrong)
{
    const char *why = NULL;
    ck_assert_int_eq(x224_cc_parse(cc, sizeof cc, &why), 1);
    for (size_t n = 0; n < sizeof cc; n++)
        ck_assert_int_eq(x224_cc_parse(cc, n, &why), 0);
    uint8_t bad[sizeof cc];
    memcpy(bad, cc, sizeof cc);
    bad[5] = 0xe0; /* a Connection Request is not a confirm */
    ck_assert_int_eq(x224_cc_parse(bad, sizeof bad, &why), -1);
    ck_assert_int_eq(x224_cc_parse((const uint8_t *)"HTTP/1.1 400", 12, &why), -1);
    memcpy(bad, cc, sizeof cc);
    bad[2] = 0xff; /* absurd TPKT length */
    ck_assert_int_eq(x224_cc_parse(bad, sizeof bad, &why), -1);
    memcpy(bad, cc, sizeof cc);
    bad[4] = 0x40; /* X.224 length beyond the TPKT */
    ck_assert_int_eq(x224_cc_parse(bad, sizeof bad, &why), -1);
}
END_TEST

struct server {
    int fd, port;
    int mode; /* 0: answer a CC, 1: accept and close (like slirp with no guest listener) */
};

static void *serve(void *arg)
{
    struct server *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    if (s->mode == 0) {
        uint8_t req[64];
        ssize_t n = read(c, req, sizeof req);
        if (n == sizeof x224_probe_request && memcmp(req, x224_probe_request, (size_t)n) == 0) {
            /* Split the reply to prove partial reads are handled. */
            ck_assert_int_eq(write(c, cc, 5), 5);
            usleep(20000);
            ck_assert_int_eq(write(c, cc + 5, sizeof cc - 5), (ssize_t)(sizeof cc - 5));
        }
        usleep(100000);
    }
    close(c);
    return NULL;
}

static void listen_on(struct server *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(s->fd, (struct sockaddr *)&sa, &len);
    s->port = ntohs(sa.sin_port);
    ck_assert_int_eq(listen(s->fd, 4), 0);
}

START_TEST(probe_live_server_answers)
{
    struct server s = {.mode = 0};
    listen_on(&s);
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    char detail[128];
    ck_assert_int_eq(check_x224("127.0.0.1", s.port, 3000, detail, sizeof detail), 1);
    pthread_join(t, NULL);
    close(s.fd);
}
END_TEST

START_TEST(probe_accept_then_close_is_not_ready)
{
    struct server s = {.mode = 1};
    listen_on(&s);
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    char detail[128];
    ck_assert_int_eq(check_x224("127.0.0.1", s.port, 3000, detail, sizeof detail), 0);
    ck_assert_msg(strstr(detail, "before a Connection Confirm"), "detail: %s", detail);
    pthread_join(t, NULL);
    close(s.fd);
}
END_TEST

START_TEST(probe_silent_server_times_out)
{
    struct server s = {.mode = 0};
    listen_on(&s); /* listening, never accepting or answering */
    char detail[128];
    ck_assert_int_eq(check_x224("127.0.0.1", s.port, 300, detail, sizeof detail), 0);
    ck_assert_ptr_nonnull(strstr(detail, "deadline"));
    close(s.fd);
}
END_TEST

START_TEST(probe_nothing_listening)
{
    struct server s = {.mode = 0};
    listen_on(&s);
    close(s.fd); /* the port is now free and refuses */
    char detail[128];
    ck_assert_int_eq(check_x224("127.0.0.1", s.port, 1000, detail, sizeof detail), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("x224_probe");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, parse_cc_whole_partial_and_wrong);
    tcase_add_test(tc, probe_live_server_answers);
    tcase_add_test(tc, probe_accept_then_close_is_not_ready);
    tcase_add_test(tc, probe_silent_server_times_out);
    tcase_add_test(tc, probe_nothing_listening);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
