/* SPDX-License-Identifier: Apache-2.0 */
/* The DAOs' create/get/list/update/delete and their messages: templates, pools (sizing,
 * naming, pause), users, groups, tokens and the audit log. */
#include "test_broker_fixture.h"

#include "log.h"

START_TEST(templates_and_versions)
{
    struct dp_err err = {0};
    struct db_template t;
    ck_assert_int_eq(db_template_create(fx_db, "tiny", &t, &err), DB_EEXISTS);
    ck_assert_str_eq(err.msg, "template \"tiny\" already exists; choose another name or run: "
                              "deskpool template show tiny");
    struct db_template_version v = fx_tv;
    v.version = 1;
    ck_assert_int_eq(db_template_version_add(fx_db, &v, &err), DB_EEXISTS);
    v.version = 0;
    ck_assert_int_eq(db_template_version_add(fx_db, &v, &err), DB_OK);
    ck_assert_int_eq(v.version, 2);
    struct db_template_version got;
    ck_assert_int_eq(db_template_version_get(fx_db, "tiny", 0, &got, &err), DB_OK);
    ck_assert_int_eq(got.version, 2);
    ck_assert_int_eq(got.memory_mb, 256);
    ck_assert_int_eq(db_template_version_get(fx_db, "tiny", 7, &got, &err), DB_ENOTFOUND);
    dp_err_clear(&err);
    ck_assert_int_eq(db_template_get(fx_db, "win11", &t, &err), DB_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no template \"win11\"; list them with: deskpool template list");
    ck_assert_int_eq(db_template_create(fx_db, "win11", &t, &err), DB_OK);
    ck_assert_int_eq(t.latest_version, 0);
    struct db_template *list;
    size_t n;
    ck_assert_int_eq(db_template_list(fx_db, &list, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(list[0].name, "tiny");
    ck_assert_int_eq(list[0].latest_version, 2);
    free(list);
    /* Version 2 is used by nothing: it can go; a pinned version cannot. */
    ck_assert_int_eq(db_template_version_delete(fx_db, "tiny", 2, &err), DB_OK);
    fx_lab.pinned_version = 1;
    ck_assert_int_eq(db_pool_update(fx_db, &fx_lab, &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_template_version_delete(fx_db, "tiny", 1, &err), DB_ECONFLICT);
    ck_assert_msg(strstr(err.msg, "pinned by pool \"lab\""), "%s", err.msg);
    /* A pool needs a template with a version. */
    struct db_pool p;
    db_pool_defaults(&p);
    snprintf(p.name, sizeof p.name, "w");
    snprintf(p.template_name, sizeof p.template_name, "win11");
    dp_err_clear(&err);
    ck_assert_int_eq(db_pool_create(fx_db, &p, &err), DB_ENOTFOUND);
    ck_assert_msg(strstr(err.msg, "run: deskpool template import win11 IMAGE"), "%s", err.msg);
}
END_TEST

START_TEST(pools_create_get_update_pause_delete)
{
    struct dp_err err = {0};
    struct db_pool p = fx_lab, got;
    ck_assert_int_eq(db_pool_create(fx_db, &p, &err), DB_EEXISTS);
    ck_assert_str_eq(err.msg, "pool \"lab\" already exists; choose another name or run: deskpool "
                              "pool show lab");
    ck_assert_int_eq(db_pool_get(fx_db, "lab", &got, &err), DB_OK);
    ck_assert_str_eq(got.naming, "lab-{n:03}");
    ck_assert_int_eq(got.type, DB_POOL_POOLED);
    ck_assert_int_eq(got.clone_mode, DB_CLONE_INSTANT);
    ck_assert_int_eq(got.refresh_on_logoff, 1);
    ck_assert_int_eq(got.max_vms, 4);
    ck_assert_str_eq(got.template_name, "tiny");

    /* Bad sizes and names are refused and change nothing. */
    got.spare = 3;
    got.spare_stopped = 2;
    dp_err_clear(&err);
    ck_assert_int_eq(db_pool_update(fx_db, &got, &err), DB_EINVAL);
    ck_assert_msg(strstr(err.msg, "spare (3) + spare-stopped (2) <= max"), "%s", err.msg);
    got.spare = 1;
    snprintf(got.naming, sizeof got.naming, "Lab_{n}");
    dp_err_clear(&err);
    ck_assert_int_eq(db_pool_update(fx_db, &got, &err), DB_EINVAL);
    ck_assert_msg(strstr(err.msg, "'L' is not allowed"), "%s", err.msg);
    snprintf(got.naming, sizeof got.naming, "pc{n:02}-lab");
    got.clone_mode = DB_CLONE_BOOT;
    got.idle_timeout_s = 900;
    ck_assert_msg(db_pool_update(fx_db, &got, &err) == DB_OK, "%s", err.msg);
    ck_assert_int_eq(db_pool_get_by_id(fx_db, fx_lab.id, &got, &err), DB_OK);
    ck_assert_str_eq(got.naming, "pc{n:02}-lab");
    ck_assert_int_eq(got.clone_mode, DB_CLONE_BOOT);
    ck_assert_int_eq(got.idle_timeout_s, 900);
    char name[64];
    ck_assert_int_eq(db_pool_next_vm_name(fx_db, &got, name, sizeof name, &err), DB_OK);
    ck_assert_str_eq(name, "pc01-lab");

    /* The type cannot change under existing VMs. */
    fx_vm("pc01-lab", &got, VM_PROVISIONING);
    got.type = DB_POOL_PERSONAL;
    ck_assert_int_eq(db_pool_update(fx_db, &got, &err), DB_ECONFLICT);

    /* Restraint: paused with a reason, audited. */
    ck_assert_int_eq(db_pool_set_paused(fx_db, fx_lab.id, 1, "3 failures in 5 minutes", &err),
                     DB_OK);
    ck_assert_int_eq(db_pool_get(fx_db, "lab", &got, &err), DB_OK);
    ck_assert_int_eq(got.paused, 1);
    ck_assert_str_eq(got.paused_reason, "3 failures in 5 minutes");
    ck_assert_int_eq(db_pool_set_paused(fx_db, fx_lab.id, 0, NULL, &err), DB_OK);
    ck_assert_int_eq(db_pool_get(fx_db, "lab", &got, &err), DB_OK);
    ck_assert_int_eq(got.paused, 0);
    ck_assert_str_eq(got.paused_reason, "");
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events WHERE action IN "
                                   "('pool.pause', 'pool.resume')"),
                     2);
    struct db_pool *pools;
    size_t n;
    ck_assert_int_eq(db_pool_list(fx_db, &pools, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(pools[0].name, "desk");
    ck_assert_int_eq(pools[0].type, DB_POOL_PERSONAL);
    free(pools);
    dp_err_clear(&err);
    ck_assert_int_eq(db_pool_get(fx_db, "nope", &got, &err), DB_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no pool \"nope\"; list them with: deskpool pool list");
}
END_TEST

START_TEST(naming_patterns)
{
    struct dp_err err = {0};
    char out[64];
    ck_assert_int_eq(naming_format("lab-{n:03}", 7, out, sizeof out, &err), 0);
    ck_assert_str_eq(out, "lab-007");
    ck_assert_int_eq(naming_format("lab-{n:03}", 1234, out, sizeof out, &err), 0);
    ck_assert_str_eq(out, "lab-1234");
    ck_assert_int_eq(naming_format("{n}x", 12, out, sizeof out, &err), 0);
    ck_assert_str_eq(out, "12x");
    static const char *const bad[] = {"lab",     "lab-{n:3}", "lab-{m}",    "lab-{n}{n}", "-{n}",
                                      "lab {n}", "lab-{n",    "lab-{n:00}", "LAB{n}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_err_clear(&err);
        ck_assert_msg(naming_check(bad[i], &err) == -1, "accepted %s", bad[i]);
        ck_assert_msg(strstr(err.msg, bad[i]), "%s", err.msg);
    }
    char longp[80];
    memset(longp, 'a', 62);
    snprintf(longp + 62, sizeof longp - 62, "{n}");
    ck_assert_int_eq(naming_format(longp, 10, out, sizeof out, &err), -1);
}
END_TEST

START_TEST(users_and_groups)
{
    struct dp_err err = {0};
    struct db_user u;
    ck_assert_int_eq(db_user_create(fx_db, "Alice", NULL, &u, &err), DB_EEXISTS);
    ck_assert_msg(strstr(err.msg, "as \"alice\"; names ignore case"), "%s", err.msg);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_create(fx_db, "bad name", NULL, &u, &err), DB_EINVAL);
    ck_assert_int_eq(db_user_create(fx_db, "carol@example.org", "Carol", &u, &err), DB_OK);
    ck_assert_int_eq(u.enabled, 1);
    ck_assert_int_eq(u.has_password, 0);
    ck_assert_int_eq(db_user_set_default_pool(fx_db, u.id, fx_desk.id, &err), DB_OK);
    ck_assert_int_eq(db_user_get_by_id(fx_db, u.id, &u, &err), DB_OK);
    ck_assert_str_eq(u.default_pool, "desk");
    ck_assert_int_eq(db_user_set_default_pool(fx_db, u.id, 999, &err), DB_ENOTFOUND);
    struct db_user *users;
    size_t n;
    ck_assert_int_eq(db_user_list(fx_db, &users, &n, &err), DB_OK);
    ck_assert_int_eq(n, 3);
    free(users);

    struct db_group g;
    ck_assert_int_eq(db_group_create(fx_db, "staff", &g, &err), DB_OK);
    ck_assert_int_eq(db_group_add_member(fx_db, g.id, fx_alice.id, &err), DB_OK);
    ck_assert_int_eq(db_group_add_member(fx_db, g.id, u.id, &err), DB_OK);
    ck_assert_int_eq(db_group_add_member(fx_db, g.id, u.id, &err), DB_EEXISTS);
    ck_assert_int_eq(db_group_members(fx_db, g.id, &users, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(users[0].name, "alice");
    free(users);
    struct db_group *groups;
    ck_assert_int_eq(db_user_groups(fx_db, fx_alice.id, &groups, &n, &err), DB_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(groups[0].members, 2);
    free(groups);
    ck_assert_int_eq(db_group_delete(fx_db, "STAFF", &err), DB_OK);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM group_members"), 0);
}
END_TEST

START_TEST(tokens_are_hashed_and_routing_ones_are_one_time)
{
    struct dp_err err = {0};
    struct db_vm vm = fx_vm("lab-001", &fx_lab, VM_READY);
    char tok[DB_TOKEN_TEXT_MAX];
    ck_assert_int_eq(db_token_issue(fx_db, DB_TOKEN_ROUTING, fx_alice.id, vm.id, 60, tok, &err),
                     DB_OK);
    ck_assert_int_eq(strlen(tok), 43);
    ck_assert(strpbrk(tok, "+/=") == NULL);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tokens WHERE hash = '%s'", tok);
    ck_assert_int_eq(fx_int(fx_db, sql), 0); /* only the hash is stored */
    struct db_token t;
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_API_SESSION, &t, &err), DB_EDENIED);
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_ROUTING, &t, &err), DB_OK);
    ck_assert_int_eq(t.user_id, fx_alice.id);
    ck_assert_int_eq(t.vm_id, vm.id);
    ck_assert_str_eq(t.user, "alice");
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_ROUTING, &t, &err), DB_EDENIED);

    /* API session tokens last until they expire or are revoked. */
    ck_assert_int_eq(db_token_issue(fx_db, DB_TOKEN_API_SESSION, fx_bob.id, 0, 3600, tok, &err),
                     DB_OK);
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_API_SESSION, &t, &err), DB_OK);
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_API_SESSION, &t, &err), DB_OK);
    db_set_now(fx_db, 1700000000 + 3600);
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_API_SESSION, &t, &err), DB_EDENIED);
    db_set_now(fx_db, 1700000000);
    ck_assert_int_eq(db_user_set_enabled(fx_db, fx_bob.id, 0, &err), DB_OK);
    ck_assert_int_eq(db_token_redeem(fx_db, tok, DB_TOKEN_API_SESSION, &t, &err), DB_EDENIED);
    ck_assert_int_eq(db_token_revoke(fx_db, tok, &err), DB_OK);
    ck_assert_int_eq(db_token_revoke(fx_db, tok, &err), DB_ENOTFOUND);
    ck_assert_int_eq(db_token_redeem(fx_db, "x", DB_TOKEN_ROUTING, &t, &err), DB_EDENIED);
    size_t removed;
    ck_assert_int_eq(db_tokens_purge(fx_db, &removed, &err), DB_OK);
    ck_assert_int_eq(removed, 1); /* the spent routing token */
}
END_TEST

START_TEST(audit_log_add_list_and_tail)
{
    struct dp_err err = {0};
    db_set_actor(fx_db, "admin:root");
    ck_assert_int_eq(db_audit_add(fx_db, "api.call", "pool:lab", "{\"path\":\"/x\"}", &err), DB_OK);
    ck_assert_int_eq(db_audit_add(fx_db, "api.call", "pool:lab", "[1]", &err), DB_EINVAL);
    ck_assert_int_eq(db_audit_add(fx_db, "api.call", "pool:lab", "{broken", &err), DB_EINVAL);
    const char *kv[] = {"note", "line\nbreak \"quoted\" \\ back", "skip", NULL};
    ck_assert_int_eq(db_audit_add_kv(fx_db, "note", "pool:lab", kv, 2, &err), DB_OK);
    struct db_audit_event *ev;
    size_t n;
    ck_assert_int_eq(db_audit_list(fx_db, 0, 2, NULL, &ev, &n, &err), DB_OK);
    ck_assert_int_eq(n, 2); /* the newest two, oldest first */
    ck_assert_str_eq(ev[0].action, "api.call");
    ck_assert_str_eq(ev[0].actor, "admin:root");
    ck_assert_str_eq(ev[1].action, "note");
    ck_assert_str_eq(ev[1].detail, "{\"note\":\"line\\u000abreak \\\"quoted\\\" \\\\ back\"}");
    int64_t last = ev[1].id;
    int64_t first = ev[0].id;
    free(ev);
    ck_assert_int_eq(fx_int(fx_db, "SELECT json_extract(detail, '$.note') = 'line' || char(10) "
                                   "|| 'break \"quoted\" \\ back' FROM audit_events ORDER BY id "
                                   "DESC LIMIT 1"),
                     1);
    ck_assert_int_eq(db_audit_list(fx_db, first - 1, 100, "pool:lab", &ev, &n, &err), DB_OK);
    ck_assert_int_ge(n, 2);
    ck_assert_int_eq(ev[n - 1].id, last);
    free(ev);
    ck_assert_int_eq(db_audit_list(fx_db, last, 100, NULL, &ev, &n, &err), DB_OK);
    ck_assert_int_eq(n, 0);
    free(ev);
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_dao");
    TCase *tc = tcase_create("dao");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, templates_and_versions);
    tcase_add_test(tc, pools_create_get_update_pause_delete);
    tcase_add_test(tc, naming_patterns);
    tcase_add_test(tc, users_and_groups);
    tcase_add_test(tc, tokens_are_hashed_and_routing_ones_are_one_time);
    tcase_add_test(tc, audit_log_add_list_and_tail);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
