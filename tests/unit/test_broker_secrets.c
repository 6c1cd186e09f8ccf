/* SPDX-License-Identifier: Apache-2.0 */
/* Users' secrets: scrypt PHC hashes, NT hash and NTOWFv2 vectors, AES-GCM at rest with its
 * key file, and the user DAO on top (logins, lockout, the gateway's NTOWFv2). */
#include "test_broker_fixture.h"

#include "log.h"

#include <sys/stat.h>
#include <unistd.h>

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(scrypt_hash_verifies_right_and_refuses_wrong)
{
    struct dp_err err = {0};
    char phc[PASSWD_HASH_MAX], phc2[PASSWD_HASH_MAX];
    ck_assert_int_eq(passwd_hash("correct horse", phc, &err), 0);
    ck_assert_msg(strncmp(phc, "$scrypt$ln=15,r=8,p=1$", 22) == 0, "%s", phc);
    ck_assert_int_eq(strlen(phc), 22 + 22 + 1 + 43); /* 16-byte salt, 32-byte hash */
    ck_assert_int_eq(passwd_verify("correct horse", phc, &err), 1);
    ck_assert_int_eq(passwd_verify("correct horsE", phc, &err), 0);
    ck_assert_int_eq(passwd_verify("", phc, &err), 0);
    /* A fresh salt every time. */
    ck_assert_int_eq(passwd_hash("correct horse", phc2, &err), 0);
    ck_assert_str_ne(phc, phc2);
    ck_assert_int_eq(passwd_needs_rehash(phc), 0);
    /* A damaged stored hash is an error with advice, not a "wrong password". */
    phc[30] = '!';
    ck_assert_int_eq(passwd_verify("correct horse", phc, &err), -1);
    ck_assert_msg(strstr(err.msg, "deskpool user passwd"), "%s", err.msg);
}
END_TEST

START_TEST(scrypt_matches_a_known_vector)
{
    /* RFC 7914 section 12, third vector: P="pleaseletmein", S="SodiumChloride", N=16384,
     * r=8, p=1, first 64 bytes; written as a PHC string. */
    struct phc_scrypt h = {.ln = 14, .r = 8, .p = 1, .salt_len = 14, .hash_len = 64};
    memcpy(h.salt, "SodiumChloride", 14);
    static const char want[] = "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                               "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887";
    for (int i = 0; i < 64; i++)
        sscanf(want + 2 * i, "%2hhx", &h.hash[i]);
    char phc[PASSWD_HASH_MAX];
    ck_assert_int_eq(phc_scrypt_format(&h, phc, sizeof phc), 0);
    struct dp_err err = {0};
    ck_assert_int_eq(passwd_verify("pleaseletmein", phc, &err), 1);
    ck_assert_int_eq(passwd_verify("pleaseletmeout", phc, &err), 0);
    ck_assert_int_eq(passwd_needs_rehash(phc), 1); /* ln=14 < 15 */
}
END_TEST

START_TEST(phc_parser_is_strict)
{
    struct phc_scrypt h;
    const char *good = "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    ck_assert_int_eq(phc_scrypt_parse(good, strlen(good), &h), 0);
    ck_assert_int_eq(h.ln, 15);
    ck_assert_int_eq(h.salt_len, 16);
    ck_assert_int_eq(h.hash_len, 32);
    char back[PASSWD_HASH_MAX];
    ck_assert_int_eq(phc_scrypt_format(&h, back, sizeof back), 0);
    ck_assert_str_eq(back, good);
    static const char *const bad[] = {
        "",
        "$scrypt$",
        "$argon2id$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$r=8,ln=15,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=015,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=21,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=20,r=32,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAB$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(phc_scrypt_parse(bad[i], strlen(bad[i]), &h) == -1, "accepted %s", bad[i]);
    /* Length is what counts, not a NUL: 41 base64 characters cannot be whole bytes. */
    ck_assert_int_eq(phc_scrypt_parse(good, strlen(good) - 2, &h), -1);
}
END_TEST

START_TEST(nt_hash_and_ntowfv2_vectors)
{
    struct dp_err err = {0};
    uint8_t h[16], v2[16];
    char x[33];
    ck_assert_msg(nt_hash("password", h, &err) == 0, "%s", err.msg);
    hex(h, 16, x);
    ck_assert_str_eq(x, "8846f7eaee8fb117ad06bdd830b7586c");
    /* MS-NLMP 4.2.2.1.2 and 4.2.4.1.1: "Password", user "User", domain "Domain". */
    ck_assert_int_eq(nt_hash("Password", h, &err), 0);
    hex(h, 16, x);
    ck_assert_str_eq(x, "a4f49c406510bdcab6824ee7c30fd852");
    ck_assert_msg(ntowfv2(h, "User", "Domain", v2, &err) == 0, "%s", err.msg);
    hex(v2, 16, x);
    ck_assert_str_eq(x, "0c868a403bfd7a93a3001ef22ef02e3f");
    /* The user name is upper-cased, the domain is not. */
    uint8_t again[16];
    ck_assert_int_eq(ntowfv2(h, "user", "Domain", again, &err), 0);
    ck_assert_mem_eq(again, v2, 16);
    ck_assert_int_eq(ntowfv2(h, "User", "DOMAIN", again, &err), 0);
    ck_assert(memcmp(again, v2, 16) != 0);
    /* Non-ASCII is UTF-16, not bytes: "pässword" differs from its Latin-1 reading. */
    ck_assert_int_eq(nt_hash("p\xc3\xa4ssword", h, &err), 0);
    hex(h, 16, x);
    ck_assert_str_ne(x, "8846f7eaee8fb117ad06bdd830b7586c");
    ck_assert_int_eq(nt_hash("p\xc3ssword", h, &err), -1);
    ck_assert_msg(strstr(err.msg, "UTF-8"), "%s", err.msg);
}
END_TEST

static void mkkey(char *path, size_t cap)
{
    fx_mkdir();
    snprintf(path, cap, "%s/secret.key", fx_dir);
}

START_TEST(secretbox_round_trip_and_tamper_detection)
{
    struct dp_err err = {0};
    char path[160];
    mkkey(path, sizeof path);
    struct secretbox_key key, other;
    ck_assert_msg(secretbox_key_load(path, 1, &key, &err) == 0, "%s", err.msg);
    const uint8_t nt[16] = {0x88, 0x46, 0xf7, 0xea, 0xee, 0x8f, 0xb1, 0x17,
                            0xad, 0x06, 0xbd, 0xd8, 0x30, 0xb7, 0x58, 0x6c};
    uint8_t sealed[64], sealed2[64], out[64];
    size_t n, n2, m;
    ck_assert_int_eq(secretbox_seal(&key, "user:1", 6, nt, 16, sealed, sizeof sealed, &n, &err), 0);
    ck_assert_int_eq(n, 16 + SECRETBOX_OVERHEAD);
    ck_assert_int_eq(sealed[0], 1);
    ck_assert(memmem(sealed, n, nt, 16) == NULL); /* not stored in the clear */
    ck_assert_int_eq(secretbox_open(&key, "user:1", 6, sealed, n, out, sizeof out, &m, &err), 0);
    ck_assert_int_eq(m, 16);
    ck_assert_mem_eq(out, nt, 16);
    /* A new nonce each time. */
    ck_assert_int_eq(secretbox_seal(&key, "user:1", 6, nt, 16, sealed2, sizeof sealed2, &n2, &err),
                     0);
    ck_assert(memcmp(sealed, sealed2, n) != 0);
    /* Any flipped bit anywhere (version, nonce, ciphertext, tag) is caught. */
    for (size_t i = 0; i < n; i++) {
        sealed[i] ^= 0x01;
        dp_err_clear(&err);
        ck_assert_msg(secretbox_open(&key, "user:1", 6, sealed, n, out, sizeof out, &m, &err) == -1,
                      "byte %zu", i);
        sealed[i] ^= 0x01;
    }
    ck_assert_msg(strstr(err.msg, "set the password again"), "%s", err.msg);
    /* Moved to another row (other associated data), truncated, or another key: refused. */
    ck_assert_int_eq(secretbox_open(&key, "user:2", 6, sealed, n, out, sizeof out, &m, &err), -1);
    ck_assert_int_eq(secretbox_open(&key, "user:1", 6, sealed, n - 1, out, sizeof out, &m, &err),
                     -1);
    ck_assert_int_eq(secretbox_open(&key, "user:1", 6, sealed, 5, out, sizeof out, &m, &err), -1);
    other = key;
    other.k[0] ^= 1;
    ck_assert_int_eq(secretbox_open(&other, "user:1", 6, sealed, n, out, sizeof out, &m, &err), -1);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

START_TEST(key_file_is_made_private_and_refused_when_readable)
{
    struct dp_err err = {0};
    char path[160];
    mkkey(path, sizeof path);
    struct secretbox_key a, b;
    ck_assert_int_eq(secretbox_key_load(path, 0, &a, &err), -1); /* not there, not created */
    ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
    dp_err_clear(&err);
    ck_assert_int_eq(secretbox_key_load(path, 1, &a, &err), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 32);
    ck_assert_int_eq(secretbox_key_load(path, 1, &b, &err), 0); /* loaded, not replaced */
    ck_assert_mem_eq(a.k, b.k, 32);

    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(secretbox_key_load(path, 1, &b, &err), -1);
    char want[256];
    snprintf(want, sizeof want, "run: chmod 600 %s", path);
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "mode 0644"), "%s", err.msg);
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_int_eq(secretbox_key_load(path, 1, &b, &err), -1);
    /* A truncated key is not silently replaced: the stored hashes depend on it. */
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(truncate(path, 16), 0);
    dp_err_clear(&err);
    ck_assert_int_eq(secretbox_key_load(path, 1, &b, &err), -1);
    ck_assert_msg(strstr(err.msg, "16 bytes, not 32"), "%s", err.msg);
    dp_remove_tree(fx_dir, NULL);
}
END_TEST

/* The user DAO on top of them. */
static struct secretbox_key fx_key;

static void users_setup(void)
{
    struct dp_err err = {0};
    fx_setup();
    char path[160];
    snprintf(path, sizeof path, "%s/secret.key", fx_dir);
    ck_assert_msg(secretbox_key_load(path, 1, &fx_key, &err) == 0, "%s", err.msg);
}

START_TEST(user_password_login_and_nla_hash)
{
    struct dp_err err = {0};
    struct db_user u;
    /* No password yet: cannot log in, no NLA hash. */
    ck_assert_int_eq(db_user_check_password(fx_db, "alice", "", &u, &err), DB_EDENIED);
    uint8_t v2[16];
    ck_assert_int_eq(db_user_ntlm_v2_hash(fx_db, "alice", "", &fx_key, v2, &err), DB_EDENIED);
    ck_assert_int_eq(db_user_set_password(fx_db, fx_alice.id, "", &fx_key, &err), DB_EINVAL);
    ck_assert_int_eq(db_user_set_password(fx_db, fx_alice.id, "Password", &fx_key, &err), DB_OK);
    ck_assert_int_eq(db_user_check_password(fx_db, "alice", "Password", &u, &err), DB_OK);
    ck_assert_int_eq(u.id, fx_alice.id);
    ck_assert(u.has_password && u.has_nt_hash);
    /* Names ignore case, like Windows. */
    ck_assert_int_eq(db_user_check_password(fx_db, "ALICE", "Password", &u, &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_check_password(fx_db, "alice", "password", &u, &err), DB_EDENIED);
    ck_assert_str_eq(err.msg, "wrong user name or password");
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_check_password(fx_db, "mallory", "Password", &u, &err), DB_EDENIED);
    ck_assert_str_eq(err.msg, "wrong user name or password");
    /* The gateway gets NTOWFv2 for what the client typed; the vector of MS-NLMP. */
    ck_assert_msg(db_user_ntlm_v2_hash(fx_db, "ALICE", "Domain", &fx_key, v2, &err) == DB_OK, "%s",
                  err.msg);
    uint8_t nt[16], want[16];
    ck_assert_int_eq(nt_hash("Password", nt, &err), 0);
    ck_assert_int_eq(ntowfv2(nt, "alice", "Domain", want, &err), 0);
    ck_assert_mem_eq(v2, want, 16);
    /* Nothing secret in the store in the clear, nor in the audit log. */
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM users WHERE instr(nt_hash_enc, "
                                   "x'a4f49c406510bdcab6824ee7c30fd852') > 0"),
                     0);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events WHERE detail LIKE "
                                   "'%Password%' OR detail LIKE '%scrypt%'"),
                     0);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events WHERE action = "
                                   "'user.passwd' AND object = 'user:alice'"),
                     1);
    /* Another user's sealed hash copied into alice's row does not decrypt. */
    ck_assert_int_eq(db_user_set_password(fx_db, fx_bob.id, "bobs", &fx_key, &err), DB_OK);
    ck_assert_int_eq(fx_sql(fx_db, "UPDATE users SET nt_hash_enc = (SELECT nt_hash_enc FROM "
                                   "users WHERE name = 'bob') WHERE name = 'alice'"),
                     SQLITE_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_ntlm_v2_hash(fx_db, "alice", "", &fx_key, v2, &err), DB_EIO);
    ck_assert_msg(strstr(err.msg, "deskpool user passwd alice"), "%s", err.msg);
}
END_TEST

START_TEST(failed_logins_lock_the_account)
{
    struct dp_err err = {0};
    struct db_user u;
    ck_assert_int_eq(db_user_set_password(fx_db, fx_bob.id, "s3cret", &fx_key, &err), DB_OK);
    for (int i = 0; i < DB_USER_MAX_FAILED; i++)
        ck_assert_int_eq(db_user_login_failed(fx_db, fx_bob.id, &err), DB_OK);
    /* Locked: even the right password is refused, and so is NLA. */
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_check_password(fx_db, "bob", "s3cret", &u, &err), DB_EDENIED);
    ck_assert_msg(strstr(err.msg, "is locked for 900 more seconds"), "%s", err.msg);
    uint8_t v2[16];
    ck_assert_int_eq(db_user_ntlm_v2_hash(fx_db, "bob", "", &fx_key, v2, &err), DB_EDENIED);
    /* After the lock time it works and the count resets. */
    db_set_now(fx_db, 1700000000 + DB_USER_LOCK_S);
    ck_assert_int_eq(db_user_check_password(fx_db, "bob", "s3cret", &u, &err), DB_OK);
    ck_assert_int_eq(db_user_get(fx_db, "bob", &u, &err), DB_OK);
    ck_assert_int_eq(u.failed_logins, 0);
    /* Wrong passwords count through check_password too. */
    for (int i = 0; i < DB_USER_MAX_FAILED; i++)
        ck_assert_int_eq(db_user_check_password(fx_db, "bob", "guess", &u, &err), DB_EDENIED);
    ck_assert_int_eq(db_user_get(fx_db, "bob", &u, &err), DB_OK);
    ck_assert_int_eq(u.failed_logins, DB_USER_MAX_FAILED);
    ck_assert_int_gt(u.locked_until, 1700000000 + DB_USER_LOCK_S);
    ck_assert_int_eq(fx_int(fx_db, "SELECT count(*) FROM audit_events WHERE action = "
                                   "'user.login_failed' AND detail LIKE '%\"locked\":\"yes\"%'"),
                     2);
    /* A new password unlocks; disabling refuses. */
    ck_assert_int_eq(db_user_set_password(fx_db, fx_bob.id, "n3w", &fx_key, &err), DB_OK);
    ck_assert_int_eq(db_user_check_password(fx_db, "bob", "n3w", &u, &err), DB_OK);
    ck_assert_int_eq(db_user_set_enabled(fx_db, fx_bob.id, 0, &err), DB_OK);
    dp_err_clear(&err);
    ck_assert_int_eq(db_user_check_password(fx_db, "bob", "n3w", &u, &err), DB_EDENIED);
    ck_assert_msg(strstr(err.msg, "disabled"), "%s", err.msg);
}
END_TEST

int main(void)
{
    dp_log_init("test", DP_LOG_WARN, 0);
    Suite *s = suite_create("broker_secrets");
    TCase *pure = tcase_create("crypto");
    tcase_set_timeout(pure, 60);
    tcase_add_test(pure, scrypt_hash_verifies_right_and_refuses_wrong);
    tcase_add_test(pure, scrypt_matches_a_known_vector);
    tcase_add_test(pure, phc_parser_is_strict);
    tcase_add_test(pure, nt_hash_and_ntowfv2_vectors);
    tcase_add_test(pure, secretbox_round_trip_and_tamper_detection);
    tcase_add_test(pure, key_file_is_made_private_and_refused_when_readable);
    suite_add_tcase(s, pure);
    TCase *users = tcase_create("users");
    tcase_set_timeout(users, 60);
    tcase_add_checked_fixture(users, users_setup, fx_teardown);
    tcase_add_test(users, user_password_login_and_nla_hash);
    tcase_add_test(users, failed_logins_lock_the_account);
    suite_add_tcase(s, users);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
