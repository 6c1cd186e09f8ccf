/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CredSSP through the gateway, in memory: the gateway's CredSSP client (towards VMs) logs
 * into the gateway's CredSSP server (towards thin clients), both on WinPR NTLM, for every
 * version that changes the binding (2-4 echo, 5-6 hash is what FreeRDP and Windows speak).
 * What a user would notice: the right password gets through, a wrong one or an unknown
 * user is refused with STATUS_LOGON_FAILURE, and a login bound to another TLS key (a TLS
 * interceptor) is refused.
 */
#include "credssp_client.h"
#include "credssp_server.h"
#include "tscred.h"
#include "tsrequest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <winpr/ntlm.h>

static uint8_t key_a[] = {0x30, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x08, 0x11, 0x22,
                          0x33, 0x44, 0x55, 0x66, 0x77, 0xff, 0x02, 0x01, 0x03};
static uint8_t key_b[] = {0x30, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x08, 0x99, 0x22,
                          0x33, 0x44, 0x55, 0x66, 0x77, 0xff, 0x02, 0x01, 0x03};

/* WinPR 2.11 leaks the AUTHENTICATE message's fields (~190 bytes) when a login fails:
 * ntlm_server_AuthenticateComplete frees them only on success and ntlm_ContextFree not at
 * all. Nothing outside WinPR can free them; LeakSanitizer is told to look past that one. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libwinpr2.so\n";
}

static void ntowfv2(const char *pw, const char *user, const char *domain, uint8_t out[16])
{
    ck_assert(NTOWFv2A((LPSTR)pw, (UINT32)strlen(pw), (LPSTR)user, (UINT32)strlen(user),
                       (LPSTR)domain, (UINT32)strlen(domain), out));
}

/* Moves everything in from to a contiguous buffer the state machines take. */
static uint8_t *take(struct evbuffer *b, size_t *len)
{
    *len = evbuffer_get_length(b);
    uint8_t *p = malloc(*len ? *len : 1);
    evbuffer_remove(b, p, *len);
    return p;
}

struct run {
    int server_final;
    int denied_step_had_error_code;
    char user[64];
};

/* Drives both sides; stops at the first step that is not SEND. */
static void login(const char *user, const char *client_pw, const char *server_pw,
                  struct gw_pubkey *client_key, struct run *r)
{
    struct gw_pubkey server_key = {key_a, sizeof key_a};
    struct dp_err err = {0};
    struct gw_cssp_server *s = gw_cssp_server_new(&server_key, &err);
    ck_assert_msg(s, "%s", err.msg);
    struct gw_cssp_client *c = gw_cssp_client_new(user, "", client_pw, client_key, &err);
    ck_assert_msg(c, "%s", err.msg);
    struct evbuffer *b = evbuffer_new();
    size_t len;
    uint8_t *p;

    ck_assert_int_eq(gw_cssp_client_start(c, b, &err), GW_CSSP_SEND);
    p = take(b, &len);
    ck_assert_int_eq(gw_cssp_server_input(s, p, len, b, &err), GW_CSSP_SEND); /* CHALLENGE */
    free(p);
    p = take(b, &len);
    ck_assert_int_eq(gw_cssp_client_input(c, p, len, b, &err), GW_CSSP_SEND); /* AUTHENTICATE */
    free(p);
    p = take(b, &len);
    ck_assert_int_eq(gw_cssp_server_input(s, p, len, b, &err), GW_CSSP_NEED_HASH);
    free(p);
    snprintf(r->user, sizeof r->user, "%s", gw_cssp_server_names(s)->user);
    ck_assert_uint_eq(evbuffer_get_length(b), 0);

    int step;
    if (server_pw) {
        uint8_t h[16];
        ntowfv2(server_pw, user, "", h);
        step = gw_cssp_server_set_hash(s, h, b, &err);
    } else {
        step = gw_cssp_server_set_hash(s, NULL, b, &err);
    }
    if (step == GW_CSSP_SEND) {
        p = take(b, &len);
        int cs = gw_cssp_client_input(c, p, len, b, &err); /* authInfo */
        free(p);
        ck_assert_int_eq(cs, GW_CSSP_DONE);
        p = take(b, &len);
        step = gw_cssp_server_input(s, p, len, b, &err);
        free(p);
    } else if (step == GW_CSSP_DENIED) {
        p = take(b, &len);
        struct gw_tsrequest req;
        size_t used;
        struct dp_err e2 = {0};
        r->denied_step_had_error_code = len > 0 &&
                                        gw_tsrequest_decode(p, len, &req, &used, &e2) == GW_OK &&
                                        req.has_error_code && req.error_code == 0xC000006Du;
        free(p);
    }
    r->server_final = step;
    evbuffer_free(b);
    gw_cssp_client_free(c);
    gw_cssp_server_free(s);
}

START_TEST(right_password_logs_in)
{
    struct gw_pubkey k = {key_a, sizeof key_a};
    struct run r = {0};
    login("alice", "secret", "secret", &k, &r);
    ck_assert_int_eq(r.server_final, GW_CSSP_DONE);
    ck_assert_str_eq(r.user, "alice");
}
END_TEST

START_TEST(wrong_password_is_denied)
{
    struct gw_pubkey k = {key_a, sizeof key_a};
    struct run r = {0};
    login("alice", "wrong", "secret", &k, &r);
    ck_assert_int_eq(r.server_final, GW_CSSP_DENIED);
    ck_assert(r.denied_step_had_error_code);
}
END_TEST

START_TEST(unknown_user_is_denied_like_a_wrong_password)
{
    struct gw_pubkey k = {key_a, sizeof key_a};
    struct run r = {0};
    login("mallory", "secret", NULL, &k, &r);
    ck_assert_int_eq(r.server_final, GW_CSSP_DENIED);
    ck_assert(r.denied_step_had_error_code);
}
END_TEST

START_TEST(login_bound_to_another_tls_key_fails)
{
    struct gw_pubkey k = {key_b, sizeof key_b};
    struct run r = {0};
    login("alice", "secret", "secret", &k, &r);
    ck_assert_int_eq(r.server_final, GW_CSSP_FAIL);
}
END_TEST

START_TEST(unicode_user_name_reaches_the_broker_as_utf8)
{
    struct gw_pubkey k = {key_a, sizeof key_a};
    struct run r = {0};
    login("j\xc3\xbcrgen", "pw", "pw", &k, &r);
    ck_assert_int_eq(r.server_final, GW_CSSP_DONE);
    ck_assert_str_eq(r.user, "j\xc3\xbcrgen");
}
END_TEST

START_TEST(tscredentials_der_layout)
{
    const uint8_t d[] = {'D', 0}, u[] = {'u', 0}, pw[] = {'p', 0, 'w', 0};
    uint8_t *out;
    size_t n;
    struct dp_err err = {0};
    ck_assert_int_eq(gw_tscred_encode(d, 2, u, 2, pw, 4, &out, &n, &err), 0);
    const uint8_t want[] = {0x30, 0x1f, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x18, 0x04, 0x16,
                            0x30, 0x14, 0xa0, 0x04, 0x04, 0x02, 'D',  0,    0xa1, 0x04, 0x04,
                            0x02, 'u',  0,    0xa2, 0x06, 0x04, 0x04, 'p',  0,    'w',  0};
    ck_assert_uint_eq(n, sizeof want);
    ck_assert_mem_eq(out, want, n);
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gw_credssp");
    TCase *tc = tcase_create("credssp");
    tcase_add_test(tc, right_password_logs_in);
    tcase_add_test(tc, wrong_password_is_denied);
    tcase_add_test(tc, unknown_user_is_denied_like_a_wrong_password);
    tcase_add_test(tc, login_bound_to_another_tls_key_fails);
    tcase_add_test(tc, unicode_user_name_reaches_the_broker_as_utf8);
    tcase_add_test(tc, tscredentials_der_layout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
