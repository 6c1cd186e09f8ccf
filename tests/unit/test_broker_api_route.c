/* SPDX-License-Identifier: Apache-2.0 */
/* The API's pure decisions: which route a path is, which status an error gets, who is an
 * admin, whether a pool fits the host. */
#include "api_errors.h"
#include "api_route.h"
#include "auth.h"
#include "pool_fit.h"
#include "store/db.h"

#include <check.h>
#include <string.h>

static char caps[API_MAX_CAPTURES][API_CAPTURE_MAX];
static int n;

static int match(const char *pattern, const char *path)
{
    n = -1;
    return api_route_match(pattern, path, caps, &n);
}

START_TEST(literal_and_captured_segments)
{
    ck_assert(match("/pools", "/pools"));
    ck_assert_int_eq(n, 0);
    ck_assert(match("/pools", "/pools/"));
    ck_assert(match("/pools/*/recompose", "/pools/lab/recompose"));
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(caps[0], "lab");
    ck_assert(match("/groups/*/members/*", "/groups/staff/members/alice"));
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(caps[0], "staff");
    ck_assert_str_eq(caps[1], "alice");
}
END_TEST

START_TEST(near_misses_do_not_match)
{
    ck_assert(!match("/pools", "/pool"));
    ck_assert(!match("/pools", "/poolsx"));
    ck_assert(!match("/pools/*", "/pools"));
    ck_assert(!match("/pools/*", "/pools/"));
    ck_assert(!match("/pools/*", "/pools/lab/vms"));
    ck_assert(!match("/pools/*", "/pools//"));
    ck_assert(!match("/pools/*/recompose", "/pools/lab/recompos"));
    ck_assert(!match("/templates/*", "/templates/a%2fb"));
    ck_assert(!match("/status", ""));
    ck_assert(!match("/status", "/status//"));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    longname[0] = '/';
    strcpy(longname + 290, "");
    char path[320] = "/pools";
    strcat(path, longname);
    ck_assert(!match("/pools/*", path));
}
END_TEST

START_TEST(store_codes_map_to_the_documented_statuses)
{
    ck_assert_int_eq(api_status_for_db(DB_ENOTFOUND), 404);
    ck_assert_int_eq(api_status_for_db(DB_EEXISTS), 409);
    ck_assert_int_eq(api_status_for_db(DB_ECONFLICT), 409);
    ck_assert_int_eq(api_status_for_db(DB_EINVAL), 400);
    ck_assert_int_eq(api_status_for_db(DB_EDENIED), 403);
    ck_assert_int_eq(api_status_for_db(DB_EIO), 500);
    ck_assert_int_eq(api_status_for_db(-99), 500);
    ck_assert_str_eq(api_code_for_status(400), "bad_request");
    ck_assert_str_eq(api_code_for_status(401), "unauthenticated");
    ck_assert_str_eq(api_code_for_status(403), "forbidden");
    ck_assert_str_eq(api_code_for_status(404), "not_found");
    ck_assert_str_eq(api_code_for_status(409), "conflict");
    ck_assert_str_eq(api_code_for_status(413), "too_large");
    ck_assert_str_eq(api_code_for_status(503), "no_capacity");
    ck_assert_str_eq(api_code_for_status(500), "internal");
}
END_TEST

START_TEST(admins_are_root_or_the_admin_group)
{
    gid_t g[] = {100, 27};
    ck_assert(auth_is_admin(0, NULL, 0, 0, 0));
    ck_assert(!auth_is_admin(1000, g, 2, 0, 27)); /* no admin_group configured: root only */
    ck_assert(auth_is_admin(1000, g, 2, 1, 27));
    ck_assert(!auth_is_admin(1000, g, 2, 1, 28));
    ck_assert(!auth_is_admin(1000, g, 1, 1, 27));
}
END_TEST

START_TEST(pool_memory_check_gives_the_numbers)
{
    struct host_mem m;
    ck_assert_int_eq(host_mem_parse("MemTotal:       24683520 kB\nMemFree:  1 kB\n"
                                    "MemAvailable:   23418880 kB\n",
                                    &m),
                     0);
    ck_assert_int_eq(m.total_mb, 24105);
    ck_assert_int_eq(m.available_mb, 22870);
    ck_assert_int_eq(host_mem_parse("MemFree: 5 kB\n", &m), -1);
    char msg[512];
    ck_assert(pool_fits("lab", 90, 256, 24105, 1024, msg, sizeof msg));
    ck_assert(!pool_fits("lab", 91, 256, 24105, 1024, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "pool \"lab\"") && strstr(msg, "91 x 256 MiB = 23296 MiB") &&
                      strstr(msg, "24105 MiB total") && strstr(msg, "1024 MiB reserve") &&
                      strstr(msg, "lower max to 90"),
                  "%s", msg);
    ck_assert(!pool_fits("x", 1, 256, 512, 1024, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "lower max to 0"), "%s", msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker_api_route");
    TCase *t = tcase_create("pure");
    tcase_add_test(t, literal_and_captured_segments);
    tcase_add_test(t, near_misses_do_not_match);
    tcase_add_test(t, store_codes_map_to_the_documented_statuses);
    tcase_add_test(t, admins_are_root_or_the_admin_group);
    tcase_add_test(t, pool_memory_check_gives_the_numbers);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
