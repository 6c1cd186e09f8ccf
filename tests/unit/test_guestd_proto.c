/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-guestd's protocol core: what the broker's QGA client sees, byte for byte. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"
#include "desktop_ctl.h"
#include "err.h"
#include "files.h"
#include "guestd.h"
#include "qga_proto.h"

/* A fake machine: records what the commands asked for instead of doing it. */
struct fake {
    int power_calls;
    enum guestd_power power_mode;
    int time_calls, time_has_ns;
    int64_t time_ns;
    char hostname[128];
    int fail_power;
};

static int fake_power(void *opaque, enum guestd_power mode, struct dp_err *err)
{
    struct fake *f = opaque;
    f->power_calls++;
    f->power_mode = mode;
    if (f->fail_power) {
        dp_err_set(err, "reboot(2) failed (test)");
        return -1;
    }
    return 0;
}

static int fake_set_time(void *opaque, int has_ns, int64_t ns, struct dp_err *err)
{
    (void)err;
    struct fake *f = opaque;
    f->time_calls++;
    f->time_has_ns = has_ns;
    f->time_ns = ns;
    return 0;
}

static int fake_set_hostname(void *opaque, const char *name, struct dp_err *err)
{
    (void)err;
    struct fake *f = opaque;
    snprintf(f->hostname, sizeof f->hostname, "%s", name);
    return 0;
}

static char root[64];
static struct guestd_ctx ctx;
static struct fake fake;
static struct qga_conn conn;

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/dp-guestd-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    memset(&ctx, 0, sizeof ctx);
    memset(&fake, 0, sizeof fake);
    ck_assert_int_eq(guestd_paths_init(&ctx.paths, root, NULL), 0);
    struct guestd_sys real;
    guestd_sys_linux(&real);
    ctx.sys = (struct guestd_sys){fake_power,      fake_set_time, fake_set_hostname,
                                  real.interfaces, &fake,         NULL};
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/etc", root);
    ck_assert_int_eq(dp_mkdirs(dir, 0755, NULL), 0);
    qga_conn_init(&conn, &ctx);
}

static void teardown(void)
{
    dp_remove_tree(root, NULL);
}

/* Feeds len bytes (in chunks of `chunk`, 0 = all at once); returns the replies as a
 * NUL-terminated malloc'd string (0xFF bytes kept). */
static char *feed_chunked(const void *in, size_t len, size_t chunk)
{
    struct qga_out out = {0};
    const uint8_t *p = in;
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        ck_assert_int_eq(qga_feed(&conn, p + off, n, &out), 0);
    }
    char *s = malloc(out.len + 1);
    memcpy(s, out.data ? (const char *)out.data : "", out.len);
    s[out.len] = '\0';
    qga_out_free(&out);
    return s;
}

static char *feed(const char *in)
{
    return feed_chunked(in, strlen(in), 0);
}

/* Parses exactly one reply line and returns it (caller decrefs). */
static json_t *one_reply(const char *text)
{
    size_t len = strlen(text);
    ck_assert_msg(len > 0 && text[len - 1] == '\n', "reply not newline-terminated: %s", text);
    ck_assert_msg(memchr(text, '\n', len) == text + len - 1, "more than one reply: %s", text);
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    ck_assert_msg(j != NULL, "reply is not JSON: %s (%s)", text, jerr.text);
    return j;
}

static const char *error_class(json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), "class"));
}

static const char *error_desc(json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), "desc"));
}

static char *read_text(const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", root, rel);
    return dp_read_file(path, 1 << 20, NULL, NULL);
}

static void write_text(const char *rel, const char *text)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    ck_assert_int_eq(dp_mkdirs(dir, 0755, NULL), 0);
    ck_assert_int_eq(dp_write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
}

START_TEST(sync_delimited_prefixes_ff_and_echoes_id)
{
    char *r = feed("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1234567}}");
    ck_assert_int_eq((unsigned char)r[0], 0xFF);
    json_t *j = one_reply(r + 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "return")), 1234567);
    json_decref(j);
    free(r);

    r = feed("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":99}}");
    ck_assert_int_ne((unsigned char)r[0], 0xFF); /* plain sync has no sentinel */
    j = one_reply(r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "return")), 99);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(ff_discards_partial_request)
{
    /* A client timed out halfway through a request; the next client sends 0xFF first. */
    const char in[] = "{\"execute\":\"guest-sh\xff{\"execute\":\"guest-sync-delimited\","
                      "\"arguments\":{\"id\":5}}";
    char *r = feed_chunked(in, sizeof in - 1, 0);
    ck_assert_int_eq((unsigned char)r[0], 0xFF);
    json_t *j = one_reply(r + 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "return")), 5);
    ck_assert_int_eq(fake.power_calls, 0);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(ping_and_info)
{
    char *r = feed("  {\"execute\": \"guest-ping\", \"id\": \"abc\"}\r\n");
    json_t *j = one_reply(r);
    ck_assert(json_is_object(json_object_get(j, "return")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "abc");
    json_decref(j);
    free(r);

    r = feed("{\"execute\":\"guest-info\"}");
    j = one_reply(r);
    json_t *cmds = json_object_get(json_object_get(j, "return"), "supported_command");
    const char *want[] = {"guest-sync-delimited",    "guest-ping",
                          "guest-set-user-password", "guest-get-users",
                          "guest-shutdown",          "guest-network-get-interfaces",
                          "guest-set-time",          "deskpool-set-host-name",
                          "deskpool-logoff-user"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        size_t i;
        json_t *c;
        json_array_foreach(cmds, i, c)
        {
            if (strcmp(json_string_value(json_object_get(c, "name")), want[w]) == 0)
                found = 1;
        }
        ck_assert_msg(found, "guest-info does not list %s", want[w]);
    }
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(set_user_password_writes_nt_hash)
{
    /* "password" -> NT hash 8846f7eaee8fb117ad06bdd830b7586c (MS-NLMP test vector family) */
    write_text("/var/lib/deskpool/sam", "# managed by deskpool\n"
                                        "alice:::00000000000000000000000000000000:::\n"
                                        "alice:CORP::11111111111111111111111111111111:::\n"
                                        "bob:::22222222222222222222222222222222:::\n"
                                        "broken line\n");
    char *r = feed("{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":"
                   "\"alice\",\"password\":\"cGFzc3dvcmQ=\",\"crypted\":false}}");
    json_t *j = one_reply(r);
    ck_assert_msg(json_object_get(j, "return") != NULL, "error: %s", r);
    json_decref(j);
    free(r);

    char *sam = read_text("/var/lib/deskpool/sam");
    ck_assert_ptr_nonnull(sam);
    ck_assert_str_eq(sam, "# managed by deskpool\n"
                          "bob:::22222222222222222222222222222222:::\n"
                          "alice:::8846f7eaee8fb117ad06bdd830b7586c:::\n");
    ck_assert_ptr_null(strstr(sam, "password"));
    free(sam);

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/var/lib/deskpool/sam", root);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(set_user_password_creates_file_and_handles_unicode)
{
    /* "éé😀" (UTF-8, then base64); the hash is MD4 of its UTF-16LE form with a
     * surrogate pair, as winpr-hash computes it. */
    char *r = feed("{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":"
                   "\"bob\",\"password\":\"w6nDqfCfmIA=\",\"crypted\":false}}");
    json_t *j = one_reply(r);
    ck_assert_msg(json_object_get(j, "return") != NULL, "error: %s", r);
    json_decref(j);
    free(r);
    char *sam = read_text("/var/lib/deskpool/sam");
    ck_assert_ptr_nonnull(sam);
    ck_assert_str_eq(sam, "bob:::f683ce504291f075588cb6081a2d6038:::\n");
    free(sam);
}
END_TEST

START_TEST(set_user_password_refusals)
{
    struct {
        const char *args;
        const char *desc_part;
    } cases[] = {
        {"{\"username\":\"a\",\"password\":\"cGFzc3dvcmQ=\",\"crypted\":true}", "crypted"},
        {"{\"username\":\"a\",\"password\":\"not*base64\",\"crypted\":false}", "base64"},
        {"{\"username\":\"a:b\",\"password\":\"cGFzc3dvcmQ=\",\"crypted\":false}", "':'"},
        {"{\"username\":\"\",\"password\":\"cGFzc3dvcmQ=\",\"crypted\":false}", "1 to"},
        {"{\"username\":\"a\",\"password\":\"\",\"crypted\":false}", "empty"},
        {"{\"username\":\"a\",\"password\":\"/w==\",\"crypted\":false}", "UTF-8"},
        {"{\"username\":\"a\",\"password\":\"cGFzc3dvcmQ=\"}", "'crypted' is missing"},
        {"{\"username\":1,\"password\":\"cGFzc3dvcmQ=\",\"crypted\":false}", "expected: string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[512];
        snprintf(req, sizeof req, "{\"execute\":\"guest-set-user-password\",\"arguments\":%s}",
                 cases[i].args);
        char *r = feed(req);
        json_t *j = one_reply(r);
        ck_assert_str_eq(error_class(j), "GenericError");
        ck_assert_msg(strstr(error_desc(j), cases[i].desc_part), "case %zu: %s", i, r);
        json_decref(j);
        free(r);
    }
    char *sam = read_text("/var/lib/deskpool/sam");
    ck_assert_ptr_null(sam); /* nothing was written */
}
END_TEST

START_TEST(garbage_gives_errors_then_recovers)
{
    const char *bad[] = {
        "{\"execute\":\"guest-ping\"", /* unfinished, then a good request follows */
        "}}}]]",                       /* stray closers */
        "hello",                       /* not JSON */
        "{\"execute\":}",              /* JSON syntax error */
        "[1,2,3]",                     /* not an object */
        "{\"execute\":42}",            /* execute not a string */
        "{\"arguments\":{}}",          /* no execute */
        "{\"execute\":\"guest-ping\",\"x\":1}",
        "{\"execute\":\"guest-ping\",\"arguments\":[]}",
        "{\"execute\":\"guest-ping\",\"arguments\":{\"a\":1}}",
        "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"x\"}}",
        "{\"execute\":\"guest-ping\",\"execute\":\"guest-ping\"}",
        "{\"a\":\"\\u0000\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qga_conn_reset(&conn);
        char *r = feed(bad[i]);
        if (i == 0) {
            ck_assert_str_eq(r, ""); /* still waiting for the rest */
        } else {
            ck_assert_msg(strstr(r, "\"error\""), "case %zu gave no error: %s", i, r);
            /* Each reply line must be valid JSON. */
            for (char *line = strtok(r, "\n"); line; line = strtok(NULL, "\n")) {
                json_t *j = json_loads(line, 0, NULL);
                ck_assert_msg(j != NULL, "case %zu: bad reply %s", i, line);
                json_decref(j);
            }
        }
        free(r);
        r = feed("\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":7}}");
        ck_assert_msg((unsigned char)r[0] == 0xFF, "case %zu: no recovery: %s", i, r);
        json_t *j = one_reply(r + 1);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "return")), 7);
        json_decref(j);
        free(r);
    }
}
END_TEST

START_TEST(oversized_and_deep_requests_are_bounded)
{
    size_t big = QGA_MSG_MAX + 100;
    char *in = malloc(big + 64);
    int n = sprintf(in, "{\"execute\":\"guest-ping\",\"pad\":\"");
    memset(in + n, 'x', big);
    strcpy(in + n + big, "\"}{\"execute\":\"guest-ping\"}");
    char *r = feed(in);
    ck_assert_msg(strstr(r, "too large"), "%s", r);
    ck_assert_msg(strstr(r, "{\"return\": {}}"), "no recovery after oversize: %s", r);
    free(r);
    free(in);

    char deep[200];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    r = feed(deep);
    ck_assert_msg(strstr(r, "too deep"), "%s", r);
    free(r);
}
END_TEST

START_TEST(unknown_command_is_command_not_found)
{
    char *r = feed("{\"execute\":\"guest-exec\",\"id\":3}");
    json_t *j = one_reply(r);
    ck_assert_str_eq(error_class(j), "CommandNotFound");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), 3);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(byte_at_a_time_equals_all_at_once)
{
    const char *in = "{\"execute\":\"guest-ping\"} {\"execute\":\"guest-sync\","
                     "\"arguments\":{\"id\":1}}\n{\"execute\":\"x{\\\"}\"}";
    char *a = feed_chunked(in, strlen(in), 0);
    qga_conn_reset(&conn);
    char *b = feed_chunked(in, strlen(in), 1);
    ck_assert_str_eq(a, b);
    ck_assert_msg(strstr(a, "The command x{\\\"} has not been found"), "%s", a);
    free(a);
    free(b);
}
END_TEST

START_TEST(get_users_parses_users_file)
{
    char *r = feed("{\"execute\":\"guest-get-users\"}");
    ck_assert_str_eq(r, "{\"return\": []}\n"); /* no file yet: nobody logged in */
    free(r);

    write_text("/run/deskpool/users", "alice\t\t1764160000\n"
                                      "bob\tCORP\t1764160100.5\n"
                                      "alice\t\t1764150000\n" /* earlier session wins */
                                      "no-tabs-here\n"
                                      "carol\t\tnot-a-number\n"
                                      "\n");
    r = feed("{\"execute\":\"guest-get-users\"}");
    json_t *j = one_reply(r);
    json_t *list = json_object_get(j, "return");
    ck_assert_int_eq(json_array_size(list), 2);
    json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1);
    ck_assert_str_eq(json_string_value(json_object_get(a, "user")), "alice");
    ck_assert_ptr_null(json_object_get(a, "domain"));
    ck_assert(json_real_value(json_object_get(a, "login-time")) == 1764150000.0);
    ck_assert_str_eq(json_string_value(json_object_get(b, "user")), "bob");
    ck_assert_str_eq(json_string_value(json_object_get(b, "domain")), "CORP");
    ck_assert(json_real_value(json_object_get(b, "login-time")) == 1764160100.5);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(get_users_reports_session_id_and_state)
{
    /* The desktop server's format: USER DOMAIN LOGIN SESSION_ID STATE. */
    write_text("/run/deskpool/users", "alice\t\t1764160000\t3\tdisconnected\n"
                                      "bob\tCORP\t1764160100\t4\tactive\n"
                                      "carol\t\t1764160200\t5\tasleep\n"   /* bad state */
                                      "dave\t\t1764160200\tx\tactive\n"    /* bad id */
                                      "erin\t\t1764160200\t0\tactive\n"    /* id 0 */
                                      "frank\t\t1764160200\t6\n"           /* 4 columns */
                                      "gina\t\t1764160200\t7\tactive\tx\n" /* 6 columns */
                                      "bob\tCORP\t1764160300\t9\tdisconnected\n");
    char *r = feed("{\"execute\":\"guest-get-users\"}");
    json_t *j = one_reply(r);
    json_t *list = json_object_get(j, "return");
    ck_assert_int_eq(json_array_size(list), 2);
    json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1);
    ck_assert_str_eq(json_string_value(json_object_get(a, "user")), "alice");
    ck_assert(json_real_value(json_object_get(a, "login-time")) == 1764160000.0);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "deskpool-session-id")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(a, "deskpool-state")), "disconnected");
    /* bob has two sessions: the earliest is reported, and he is connected through one. */
    ck_assert_str_eq(json_string_value(json_object_get(b, "user")), "bob");
    ck_assert_int_eq(json_integer_value(json_object_get(b, "deskpool-session-id")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(b, "deskpool-state")), "active");
    ck_assert(json_real_value(json_object_get(b, "login-time")) == 1764160100.0);
    json_decref(j);
    free(r);
}
END_TEST

/* A fake desktop server: listens on the control socket and answers one request with reply;
 * the request it got is written to ROOT/request. Returns the child's pid. */
static pid_t fake_desktop(const char *reply)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/run/deskpool", root);
    ck_assert_int_eq(dp_mkdirs(dir, 0755, NULL), 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(ctx.paths.control), sizeof sa.sun_path);
    strcpy(sa.sun_path, ctx.paths.control);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = accept(lfd, NULL, NULL);
        char buf[512];
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/request", root);
        dp_write_file_atomic(path, buf, n > 0 ? (size_t)n : 0, 0600, NULL);
        if (fd >= 0 && reply)
            (void)!write(fd, reply, strlen(reply));
        _exit(0);
    }
    close(lfd);
    return pid;
}

START_TEST(logoff_user_asks_the_desktop_server)
{
    pid_t pid = fake_desktop("ENDED\t1\n");
    char *r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"alice\"}}");
    int status;
    waitpid(pid, &status, 0);
    json_t *j = one_reply(r);
    ck_assert_msg(json_object_get(j, "return"), "%s", r);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "return"), "ended")), 1);
    json_decref(j);
    free(r);
    char *req = read_text("/request");
    ck_assert_str_eq(req, "LOGOFF\talice\n");
    free(req);

    /* The desktop server's refusal reaches the broker. */
    unlink(ctx.paths.control);
    pid = fake_desktop("ERROR\tusers file: disk full\n");
    r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"bob\"}}");
    waitpid(pid, &status, 0);
    j = one_reply(r);
    ck_assert_msg(strstr(error_desc(j), "disk full"), "%s", r);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(logoff_user_without_a_desktop_server)
{
    /* Nothing listens and nobody is listed: nobody had a session. */
    char *r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"alice\"}}");
    json_t *j = one_reply(r);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "return"), "ended")), 0);
    json_decref(j);
    free(r);
    /* Listed but nobody answers: the server died; the broker must not think she is gone. */
    write_text("/run/deskpool/users", "alice\t\t1764160000\t3\tactive\n");
    r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"alice\"}}");
    j = one_reply(r);
    ck_assert_msg(strstr(error_desc(j), "is deskpool-desktop running"), "%s", r);
    json_decref(j);
    free(r);
    /* Argument checks. */
    r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{}}");
    ck_assert_msg(strstr(r, "Parameter 'user' is missing"), "%s", r);
    free(r);
    r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"a\\tb\"}}");
    ck_assert_msg(strstr(r, "control characters"), "%s", r);
    free(r);
    r = feed("{\"execute\":\"deskpool-logoff-user\",\"arguments\":{\"user\":\"\"}}");
    ck_assert_msg(strstr(r, "1-256 bytes"), "%s", r);
    free(r);
}
END_TEST

START_TEST(desktop_ctl_replies_are_checked)
{
    struct dp_err err = {0};
    ck_assert_int_eq(desktop_ctl_parse_reply("ENDED\t0", 7, &err), 0);
    ck_assert_int_eq(desktop_ctl_parse_reply("ENDED\t12", 8, &err), 12);
    const char *bad[] = {"ENDED\t", "ENDED\t-1", "ENDED\t1x", "ENDED 1", "", "ENDED\t1234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dp_err_clear(&err);
        ck_assert_msg(desktop_ctl_parse_reply(bad[i], strlen(bad[i]), &err) == -1, "%s", bad[i]);
        ck_assert(err.set);
    }
    dp_err_clear(&err);
    ck_assert_int_eq(desktop_ctl_parse_reply("ERROR\tno", 8, &err), -1);
    ck_assert_str_eq(dp_err_msg(&err), "the desktop server says: no");
}
END_TEST

START_TEST(shutdown_has_no_reply_and_picks_mode)
{
    char *r = feed("{\"execute\":\"guest-shutdown\"}");
    ck_assert_str_eq(r, "");
    ck_assert_int_eq(fake.power_calls, 1);
    ck_assert_int_eq(fake.power_mode, GUESTD_POWERDOWN);
    free(r);
    r = feed("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"}}");
    ck_assert_str_eq(r, "");
    ck_assert_int_eq(fake.power_mode, GUESTD_REBOOT);
    free(r);
    r = feed("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"explode\"}}");
    ck_assert_msg(strstr(r, "powerdown, halt, reboot"), "%s", r);
    ck_assert_int_eq(fake.power_calls, 2);
    free(r);
    fake.fail_power = 1;
    r = feed("{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"halt\"}}");
    ck_assert_msg(strstr(r, "reboot(2) failed"), "a failed shutdown must be reported: %s", r);
    free(r);
}
END_TEST

START_TEST(set_time_and_host_name)
{
    char *r = feed("{\"execute\":\"guest-set-time\",\"arguments\":{\"time\":1764160000123456789}}");
    ck_assert_str_eq(r, "{\"return\": {}}\n");
    ck_assert_int_eq(fake.time_has_ns, 1);
    ck_assert(fake.time_ns == 1764160000123456789LL);
    free(r);
    r = feed("{\"execute\":\"guest-set-time\",\"arguments\":{\"time\":-1}}");
    ck_assert_msg(strstr(r, "\"error\""), "%s", r);
    free(r);

    r = feed("{\"execute\":\"deskpool-set-host-name\",\"arguments\":{\"host-name\":\"lab-07\"}}");
    ck_assert_str_eq(r, "{\"return\": {}}\n");
    ck_assert_str_eq(fake.hostname, "lab-07");
    char *text = read_text("/etc/hostname");
    ck_assert_str_eq(text, "lab-07\n");
    free(text);
    free(r);
    const char *bad[] = {"-lab", "lab_07", "", "a..b", "lab-", "a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char req[256];
        snprintf(req, sizeof req,
                 "{\"execute\":\"deskpool-set-host-name\",\"arguments\":{\"host-name\":\"%s\"}}",
                 bad[i]);
        r = feed(req);
        ck_assert_msg(strstr(r, "\"error\""), "accepted bad host name %s: %s", bad[i], r);
        free(r);
    }
    ck_assert_str_eq(fake.hostname, "lab-07");
}
END_TEST

START_TEST(network_interfaces_lists_loopback)
{
    char *r = feed("{\"execute\":\"guest-network-get-interfaces\"}");
    json_t *j = one_reply(r);
    json_t *list = json_object_get(j, "return");
    int lo = 0;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "name")), "lo") == 0) {
            lo = 1;
            json_t *ip = json_array_get(json_object_get(e, "ip-addresses"), 0);
            ck_assert_str_eq(json_string_value(json_object_get(ip, "ip-address")), "127.0.0.1");
            ck_assert_int_eq(json_integer_value(json_object_get(ip, "prefix")), 8);
        }
    }
    ck_assert_msg(lo, "no lo interface in %s", r);
    json_decref(j);
    free(r);
}
END_TEST

START_TEST(base64_vectors)
{
    uint8_t out[16];
    ck_assert_int_eq(dp_b64_decode("cGFzc3dvcmQ=", 12, out, sizeof out, 1), 8);
    ck_assert(memcmp(out, "password", 8) == 0);
    ck_assert_int_eq(dp_b64_decode("cGFzc3dvcmQ", 11, out, sizeof out, 1), 8);
    ck_assert_int_eq(dp_b64_decode("", 0, out, sizeof out, 1), 0);
    ck_assert_int_eq(dp_b64_decode("Zg==", 4, out, sizeof out, 1), 1);
    ck_assert_int_eq(dp_b64_decode("Zh==", 4, out, sizeof out, 1), -1); /* non-zero tail bits */
    ck_assert_int_eq(dp_b64_decode("Z", 1, out, sizeof out, 1), -1);
    ck_assert_int_eq(dp_b64_decode("Zg=", 3, out, sizeof out, 1), -1);
    ck_assert_int_eq(dp_b64_decode("cGFz c3dvcmQ=", 13, out, sizeof out, 1), -1);
    ck_assert_int_eq(dp_b64_decode("cGFzc3dvcmQ=", 12, out, 4, 1), -1); /* too little room */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guestd_proto");
    TCase *tc = tcase_create("proto");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sync_delimited_prefixes_ff_and_echoes_id);
    tcase_add_test(tc, ff_discards_partial_request);
    tcase_add_test(tc, ping_and_info);
    tcase_add_test(tc, set_user_password_writes_nt_hash);
    tcase_add_test(tc, set_user_password_creates_file_and_handles_unicode);
    tcase_add_test(tc, set_user_password_refusals);
    tcase_add_test(tc, garbage_gives_errors_then_recovers);
    tcase_add_test(tc, oversized_and_deep_requests_are_bounded);
    tcase_add_test(tc, unknown_command_is_command_not_found);
    tcase_add_test(tc, byte_at_a_time_equals_all_at_once);
    tcase_add_test(tc, get_users_parses_users_file);
    tcase_add_test(tc, get_users_reports_session_id_and_state);
    tcase_add_test(tc, logoff_user_asks_the_desktop_server);
    tcase_add_test(tc, logoff_user_without_a_desktop_server);
    tcase_add_test(tc, desktop_ctl_replies_are_checked);
    tcase_add_test(tc, shutdown_has_no_reply_and_picks_mode);
    tcase_add_test(tc, set_time_and_host_name);
    tcase_add_test(tc, network_interfaces_lists_loopback);
    tcase_add_test(tc, base64_vectors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
