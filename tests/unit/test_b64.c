/* SPDX-License-Identifier: Apache-2.0 */
/* common/b64: RFC 4648 vectors both ways, padded and unpadded, and the strict decoder's
 * refusals (whatever it accepts must be exactly what the encoder writes). */
#include "b64.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *padded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
static const char *bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

START_TEST(rfc4648_vectors)
{
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        char enc[16];
        uint8_t dec[16];
        ck_assert_uint_eq(dp_b64_len(n, 1), strlen(padded[i]));
        ck_assert_uint_eq(dp_b64_len(n, 0), strlen(bare[i]));
        dp_b64_encode((const uint8_t *)plain[i], n, enc, 1);
        ck_assert_str_eq(enc, padded[i]);
        dp_b64_encode((const uint8_t *)plain[i], n, enc, 0);
        ck_assert_str_eq(enc, bare[i]);
        ck_assert_int_eq(dp_b64_decode(padded[i], strlen(padded[i]), dec, sizeof dec, 1), (long)n);
        ck_assert(memcmp(dec, plain[i], n) == 0);
        ck_assert_int_eq(dp_b64_decode(bare[i], strlen(bare[i]), dec, sizeof dec, 1), (long)n);
        ck_assert_int_eq(dp_b64_decode(bare[i], strlen(bare[i]), dec, sizeof dec, 0), (long)n);
        ck_assert(memcmp(dec, plain[i], n) == 0);
    }
}
END_TEST

START_TEST(strict_refusals)
{
    uint8_t out[8];
    ck_assert_int_eq(dp_b64_decode("Zg==", 4, out, sizeof out, 0), -1);  /* PHC: no padding */
    ck_assert_int_eq(dp_b64_decode("Zh", 2, out, sizeof out, 0), -1);    /* non-zero tail bits */
    ck_assert_int_eq(dp_b64_decode("Zm9vY", 5, out, sizeof out, 0), -1); /* lone sextet */
    ck_assert_int_eq(dp_b64_decode("Zm9v=", 5, out, sizeof out, 1), -1); /* pad past a quantum */
    ck_assert_int_eq(dp_b64_decode("Z===", 4, out, sizeof out, 1), -1);
    ck_assert_int_eq(dp_b64_decode("Zm-v", 4, out, sizeof out, 0), -1); /* url alphabet */
    ck_assert_int_eq(dp_b64_decode("Zm9vYmFy", 8, out, 5, 0), -1);      /* no room */
}
END_TEST

START_TEST(round_trip_every_length)
{
    uint8_t in[64], dec[64];
    char enc[100];
    for (int i = 0; i < 64; i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof in; n++)
        for (int pad = 0; pad < 2; pad++) {
            dp_b64_encode(in, n, enc, pad);
            ck_assert_uint_eq(strlen(enc), dp_b64_len(n, pad));
            ck_assert_int_eq(dp_b64_decode(enc, strlen(enc), dec, n, pad), (long)n);
            ck_assert(memcmp(in, dec, n) == 0);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("b64");
    TCase *tc = tcase_create("b64");
    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_test(tc, strict_refusals);
    tcase_add_test(tc, round_trip_every_length);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
