/* SPDX-License-Identifier: Apache-2.0 */
/* The user's password (environment, file or terminal; never argv) and the broker login. */
#include "conn_ctx.h"

#include "cli_password.h"
#include "err.h"
#include "files.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A password file holds one line; anything bigger is the wrong file. */
#define PASSWORD_FILE_MAX 4096

static int first_line(struct conn_ctx *c, const char *text, size_t len, const char *from)
{
    size_t n = strcspn(text, "\r\n");
    if (n > len)
        n = len;
    if (n == 0)
        return conn_fail(c, CONN_USAGE, "%s: the password is empty", from);
    if (n >= sizeof c->password)
        return conn_fail(c, CONN_USAGE, "%s: the password is longer than %zu bytes", from,
                         sizeof c->password - 1);
    memcpy(c->password, text, n);
    c->password[n] = '\0';
    return CONN_OK;
}

int conn_read_password(struct conn_ctx *c)
{
    const struct conn_options *o = c->o;
    if (o->password_env) {
        const char *v = getenv(o->password_env);
        if (!v)
            return conn_fail(c, CONN_USAGE, "--password-env %s: the variable is not set",
                             o->password_env);
        char from[200];
        snprintf(from, sizeof from, "--password-env %s", o->password_env);
        return first_line(c, v, strlen(v), from);
    }
    if (o->password_file) {
        struct dp_err err = {0};
        size_t len;
        char *text = dp_read_file(o->password_file, PASSWORD_FILE_MAX, &len, &err);
        if (!text)
            return conn_fail(c, CONN_USAGE,
                             "--password-file: %s; put the password on its first line (mode "
                             "0600)",
                             dp_err_msg(&err));
        int rc = first_line(c, text, len, "--password-file");
        explicit_bzero(text, len);
        free(text);
        return rc;
    }
    int opened, fd = conn_tty(&opened);
    if (fd < 0)
        return conn_fail(c, CONN_USAGE,
                         "no terminal to ask for %s's password: give --password-env VAR or "
                         "--password-file FILE",
                         c->user);
    char prompt[300];
    struct dp_err err = {0};
    snprintf(prompt, sizeof prompt, "Password for %s at %s: ", c->user, c->broker.canon);
    int rc = cli_password_prompt(fd, stderr, prompt, c->password, sizeof c->password, &err);
    if (opened)
        close(fd);
    if (rc != 0)
        return conn_fail(c, CONN_USAGE, "%s", dp_err_msg(&err));
    return CONN_OK;
}

int conn_login(struct conn_ctx *c)
{
    json_t *body = json_pack("{s:s, s:s}", "user", c->user, "password", c->password);
    json_t *ans = NULL;
    if (!body)
        return conn_fail(c, CONN_FAILED, "out of memory");
    int rc = conn_call(c, "POST", "/login", body, &ans, NULL);
    json_decref(body);
    if (rc != CONN_OK)
        return rc;
    const char *token = json_string_value(json_object_get(ans, "token"));
    const char *user = json_string_value(json_object_get(ans, "user"));
    if (!token || !*token || strlen(token) >= sizeof c->token || strpbrk(token, "\r\n ")) {
        json_decref(ans);
        return conn_fail(c, CONN_FAILED, "the broker's login answer has no usable token");
    }
    snprintf(c->token, sizeof c->token, "%s", token);
    if (user && *user && strlen(user) < sizeof c->user)
        snprintf(c->user, sizeof c->user, "%s", user); /* the broker's spelling */
    json_decref(ans);
    return CONN_OK;
}

void conn_logout(struct conn_ctx *c)
{
    if (!c->token[0])
        return;
    /* Best effort: a failure here changes nothing for the user, the token expires anyway. */
    FILE *keep = c->err;
    int printed = c->failed_printed;
    c->err = fopen("/dev/null", "w");
    if (c->err) {
        c->failed_printed = 1;
        conn_call(c, "POST", "/logout", NULL, NULL, NULL);
        fclose(c->err);
    }
    c->err = keep;
    c->failed_printed = printed;
    explicit_bzero(c->token, sizeof c->token);
}
