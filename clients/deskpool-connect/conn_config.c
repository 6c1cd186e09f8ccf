/* SPDX-License-Identifier: Apache-2.0 */
/* ~/.config/deskpool/connect.conf: the remembered broker, its pinned certificate and the user
 * name. "key = value" lines, '#' comments. No secrets: the password is never stored. */
#include "connect.h"

#include "err.h"
#include "files.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX 8192

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int set(char *dst, size_t cap, const char *v, int line, const char *key, char *msg,
               size_t mcap)
{
    if (strlen(v) >= cap) {
        snprintf(msg, mcap, "line %d: %s is longer than %zu bytes", line, key, cap - 1);
        return -1;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int conn_config_parse(const char *text, struct conn_config *c, char *msg, size_t cap)
{
    memset(c, 0, sizeof *c);
    char *copy = strdup(text);
    if (!copy) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    int line = 0, rc = 0;
    for (char *l = copy, *next; l; l = next) {
        next = strchr(l, '\n');
        if (next)
            *next++ = '\0';
        line++;
        char *s = trim(l);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(msg, cap, "line %d: expected key = value", line);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (strcmp(key, "broker") == 0) {
            struct broker_addr a;
            char why[300];
            if (broker_addr_parse(val, &a, why, sizeof why) != 0) {
                snprintf(msg, cap, "line %d: %s", line, why);
                rc = -1;
                break;
            }
            snprintf(c->broker, sizeof c->broker, "%s", a.canon);
        } else if (strcmp(key, "fingerprint") == 0) {
            if (fingerprint_normalize(val, c->fingerprint) != 0) {
                snprintf(msg, cap, "line %d: fingerprint is not a SHA-256 (64 hex digits)", line);
                rc = -1;
                break;
            }
        } else if (strcmp(key, "user") == 0) {
            if ((rc = set(c->user, sizeof c->user, val, line, key, msg, cap)) != 0)
                break;
        } else {
            snprintf(msg, cap, "line %d: unknown key \"%s\" (known: broker, fingerprint, user)",
                     line, key);
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

int conn_config_format(const struct conn_config *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "# deskpool-connect remembers the broker here (no passwords are stored).\n"
                     "# fingerprint: SHA-256 of the broker's certificate, pinned on first use.\n"
                     "%s%s%s%s%s%s%s%s%s",
                     c->broker[0] ? "broker = " : "", c->broker, c->broker[0] ? "\n" : "",
                     c->fingerprint[0] ? "fingerprint = " : "", c->fingerprint,
                     c->fingerprint[0] ? "\n" : "", c->user[0] ? "user = " : "", c->user,
                     c->user[0] ? "\n" : "");
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int conn_config_path(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(buf, cap, "%s/deskpool/connect.conf", xdg);
    else if (home && *home)
        n = snprintf(buf, cap, "%s/.config/deskpool/connect.conf", home);
    else
        return -1;
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int conn_config_load(const char *path, struct conn_config *c, char *msg, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (!dp_path_exists(path))
        return 0;
    struct dp_err err = {0};
    size_t len;
    char *text = dp_read_file(path, CONFIG_MAX, &len, &err);
    if (!text) {
        snprintf(msg, cap, "%s; fix or remove it", dp_err_msg(&err));
        return -1;
    }
    char why[400];
    int rc = conn_config_parse(text, c, why, sizeof why);
    free(text);
    if (rc != 0)
        snprintf(msg, cap, "%s: %s; fix it or remove the file", path, why);
    return rc;
}

int conn_config_save(const char *path, const struct conn_config *c, char *msg, size_t cap)
{
    char text[1024], dir[4096];
    struct dp_err err = {0};
    if (conn_config_format(c, text, sizeof text) < 0 ||
        snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        snprintf(msg, cap, "%s: the settings do not fit", path);
        return -1;
    }
    if (dp_mkdirs(dirname(dir), 0700, &err) != 0 ||
        dp_write_file_atomic(path, text, strlen(text), 0600, &err) != 0) {
        snprintf(msg, cap, "cannot remember the broker in %s: %s (use --no-save to skip)", path,
                 dp_err_msg(&err));
        return -1;
    }
    return 0;
}
