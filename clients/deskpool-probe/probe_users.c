/* SPDX-License-Identifier: Apache-2.0 */
/* Who logs in during a load run: a list with one password, or user:password lines. */
#include "probe_load.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MAX_LOGINS 10000

static int add(struct probe_logins *l, const char *user, size_t ulen, const char *pw, size_t plen,
               struct dp_err *err)
{
    if (l->n >= MAX_LOGINS) {
        dp_err_set(err, "more than %d logins; split the run", MAX_LOGINS);
        return -1;
    }
    struct probe_login *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v) {
        dp_err_set(err, "out of memory for %zu logins", l->n + 1);
        return -1;
    }
    l->v = v;
    memset(&v[l->n], 0, sizeof v[l->n]);
    v[l->n].user = strndup(user, ulen);
    v[l->n].password = strndup(pw, plen);
    l->n++;
    if (!v[l->n - 1].user || !v[l->n - 1].password) {
        dp_err_set(err, "out of memory for %zu logins", l->n);
        return -1;
    }
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

int probe_logins_from_list(const char *list, const char *password, struct probe_logins *out,
                           struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    size_t plen = strlen(password);
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        const char *name = p;
        size_t len = n;
        trim(&name, &len);
        if (len == 0) {
            dp_err_set(err, "--users \"%s\": an empty user name (two commas, or one at an end)",
                       list);
            goto fail;
        }
        if (add(out, name, len, password, plen, err) != 0)
            goto fail;
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
fail:
    probe_logins_free(out);
    return -1;
}

int probe_logins_from_text(const char *text, size_t len, struct probe_logins *out,
                           struct dp_err *err)
{
    memset(out, 0, sizeof *out);
    int line = 0;
    for (size_t pos = 0; pos < len;) {
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n && l[n - 1] == '\r')
            n--;
        const char *s = l;
        size_t sn = n;
        trim(&s, &sn);
        if (sn == 0 || s[0] == '#')
            continue;
        if (memchr(l, '\0', n)) {
            dp_err_set(err, "users file line %d: a NUL byte; is it a text file?", line);
            goto fail;
        }
        /* The password is taken as is (blanks included): only the user name is trimmed. */
        const char *colon = memchr(l, ':', n);
        if (!colon) {
            dp_err_set(err, "users file line %d: expected user:password", line);
            goto fail;
        }
        const char *name = l;
        size_t ulen = (size_t)(colon - l);
        trim(&name, &ulen);
        size_t plen = (size_t)(l + n - colon - 1);
        if (ulen == 0 || plen == 0) {
            dp_err_set(err, "users file line %d: %s", line,
                       ulen ? "the password is empty" : "the user name is empty");
            goto fail;
        }
        if (add(out, name, ulen, colon + 1, plen, err) != 0)
            goto fail;
    }
    if (out->n == 0) {
        dp_err_set(err, "the users file names no user; write user:password lines");
        return -1;
    }
    return 0;
fail:
    probe_logins_free(out);
    return -1;
}

void probe_logins_free(struct probe_logins *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].user);
        if (l->v[i].password) {
            explicit_bzero(l->v[i].password, strlen(l->v[i].password));
            free(l->v[i].password);
        }
        probe_result_free(&l->v[i].res);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
