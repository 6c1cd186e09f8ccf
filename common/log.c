/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Process-wide by nature: one log per process, set once at start. */
static struct {
    const char *ident;
    enum dp_log_level level;
    int use_syslog;
} logcfg = {"deskpool", DP_LOG_INFO, 0};

void dp_log_init(const char *ident, enum dp_log_level level, int use_syslog)
{
    logcfg.ident = ident;
    logcfg.level = level;
    logcfg.use_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID, LOG_DAEMON);
}

int dp_log_level_parse(const char *s, enum dp_log_level *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum dp_log_level)i;
            return 0;
        }
    }
    return -1;
}

void dp_log(enum dp_log_level level, const char *fmt, ...)
{
    static const char *tags[] = {"error", "warn", "info", "debug"};
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    if (level > logcfg.level)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (logcfg.use_syslog) {
        vsyslog(prio[level], fmt, ap);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ %s %s: ", when, ts.tv_nsec / 1000000, logcfg.ident, tags[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}
