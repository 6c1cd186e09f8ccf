/* SPDX-License-Identifier: Apache-2.0 */
#include "sessions_file.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "files.h"

/* Appends src with control characters replaced; returns the length it needs. */
static size_t put_field(char *buf, size_t cap, size_t at, const char *src)
{
    size_t n = 0;
    for (; src[n]; n++) {
        unsigned char c = (unsigned char)src[n];
        if (at + n + 1 < cap)
            buf[at + n] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    return n;
}

static size_t put_str(char *buf, size_t cap, size_t at, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (at + i + 1 < cap)
            buf[at + i] = s[i];
    return n;
}

const char *session_state_name(enum session_state state)
{
    return state == SESSION_DISCONNECTED ? "disconnected" : "active";
}

size_t sessions_format(const struct session_entry *e, int n, char *buf, size_t cap)
{
    size_t len = 0;
    char num[64];
    for (int i = 0; i < n; i++) {
        if (e[i].id == 0)
            continue;
        len += put_field(buf, cap, len, e[i].user);
        len += put_str(buf, cap, len, "\t");
        len += put_field(buf, cap, len, e[i].domain);
        snprintf(num, sizeof num, "\t%lld\t%d\t%s\n", (long long)e[i].login, e[i].id,
                 session_state_name(e[i].state));
        len += put_str(buf, cap, len, num);
    }
    if (cap > 0)
        buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

/*
 * Copies src into dst (size n > 0), cutting only between UTF-8 characters: the guest agent
 * drops lines that are not valid UTF-8, so a long name must not lose half a character.
 */
static void copy_utf8_prefix(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int publish(struct sessions *s, struct dp_err *err)
{
    size_t need = sessions_format(s->entries, SESSIONS_MAX, NULL, 0);
    char *text = malloc(need + 1);
    if (!text) {
        dp_err_set(err, "out of memory writing %s", s->path);
        return -1;
    }
    sessions_format(s->entries, SESSIONS_MAX, text, need + 1);
    int rc = dp_write_file_atomic(s->path, text, need, 0644, err);
    free(text);
    return rc;
}

int sessions_open(struct sessions *s, const char *path, struct dp_err *err)
{
    memset(s, 0, sizeof *s);
    if (snprintf(s->path, sizeof s->path, "%s", path) >= (int)sizeof s->path) {
        dp_err_set(err, "users file path too long: %s", path);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    if (dp_mkdirs(dirname(dir), 0755, err) != 0)
        return -1;
    s->next_id = 1;
    return publish(s, err);
}

int sessions_add(struct sessions *s, const char *user, const char *domain, time_t login,
                 struct dp_err *err)
{
    int id = -1;
    for (int i = 0; i < SESSIONS_MAX; i++) {
        struct session_entry *e = &s->entries[i];
        if (e->id != 0)
            continue;
        e->id = s->next_id++;
        if (s->next_id <= 0) /* wrapped after 2^31 logins: ids only need to be unique live */
            s->next_id = 1;
        copy_utf8_prefix(e->user, sizeof e->user, user ? user : "");
        copy_utf8_prefix(e->domain, sizeof e->domain, domain ? domain : "");
        e->login = login;
        e->state = SESSION_ACTIVE;
        id = e->id;
        break;
    }
    if (id < 0)
        dp_err_set(err, "too many sessions (%d) to list in %s", SESSIONS_MAX, s->path);
    else
        publish(s, err); /* on failure the entry stays, so the next rewrite lists it */
    return id;
}

struct session_entry *sessions_find_user(struct sessions *s, const char *user)
{
    char name[SESSIONS_NAME_MAX]; /* as sessions_add stored it */
    copy_utf8_prefix(name, sizeof name, user ? user : "");
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (s->entries[i].id != 0 && strcmp(s->entries[i].user, name) == 0)
            return &s->entries[i];
    return NULL;
}

struct session_entry *sessions_find(struct sessions *s, int id)
{
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (id > 0 && s->entries[i].id == id)
            return &s->entries[i];
    return NULL;
}

int sessions_set_state(struct sessions *s, int id, enum session_state state, struct dp_err *err)
{
    struct session_entry *e = sessions_find(s, id);
    if (!e || e->state == state)
        return 0;
    e->state = state;
    return publish(s, err);
}

void sessions_set_view(struct sessions *s, int id, const struct session_view *v)
{
    struct session_entry *e = sessions_find(s, id);
    if (e)
        e->view = *v;
}

int sessions_remove(struct sessions *s, int id, struct dp_err *err)
{
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (id > 0 && s->entries[i].id == id)
            memset(&s->entries[i], 0, sizeof s->entries[i]);
    int rc = publish(s, err);
    return rc;
}

int sessions_clear(struct sessions *s, struct dp_err *err)
{
    memset(s->entries, 0, sizeof s->entries);
    int rc = publish(s, err);
    return rc;
}

void sessions_close(struct sessions *s)
{
    (void)s; /* nothing held between calls; kept so callers pair open and close */
}
