/* SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <stdio.h>
#include <string.h>

/* Appends s to buf at *at with control characters replaced; -1 when it does not fit. */
static int put_name(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (n >= REPORT_FIELD_MAX || *at + n + 1 >= cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[(*at)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[*at] = '\0';
    return 0;
}

int report_format_up(char *buf, size_t cap, const char *user, const char *domain, time_t login)
{
    size_t at = 0;
    char tail[32];
    if (cap < 4)
        return -1;
    memcpy(buf, "UP\t", 4);
    at = 3;
    if (put_name(buf, cap, &at, user) != 0 || at + 1 >= cap)
        return -1;
    buf[at++] = '\t';
    if (put_name(buf, cap, &at, domain) != 0)
        return -1;
    int n = snprintf(tail, sizeof tail, "\t%lld\n", (long long)login);
    if (at + (size_t)n + 1 > cap)
        return -1;
    memcpy(buf + at, tail, (size_t)n + 1);
    return (int)(at + (size_t)n);
}

/* Copies field [p, end) into out (size REPORT_FIELD_MAX); -1 if too long or has controls. */
static int take_field(const char *p, const char *end, char *out)
{
    size_t n = (size_t)(end - p);
    if (n >= REPORT_FIELD_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20)
            return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int report_parse(const char *line, size_t len, struct peer_report *out)
{
    const char *end = line + len;
    if (len < 3 || memcmp(line, "UP\t", 3) != 0)
        return -1;
    const char *user = line + 3;
    const char *tab1 = memchr(user, '\t', (size_t)(end - user));
    if (!tab1 || tab1 == user)
        return -1;
    const char *domain = tab1 + 1;
    const char *tab2 = memchr(domain, '\t', (size_t)(end - domain));
    if (!tab2)
        return -1;
    const char *num = tab2 + 1;
    if (num == end || end - num > 18) /* fits a long long */
        return -1;
    long long v = 0;
    for (const char *p = num; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (take_field(user, tab1, out->user) != 0 || take_field(domain, tab2, out->domain) != 0)
        return -1;
    out->login = v;
    return 0;
}
