/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_COMMON_LOG_H
#define DESKPOOL_COMMON_LOG_H

/* Levelled logging to stderr (default) or syslog. Never pass secrets to it. */
enum dp_log_level { DP_LOG_ERROR, DP_LOG_WARN, DP_LOG_INFO, DP_LOG_DEBUG };

void dp_log_init(const char *ident, enum dp_log_level level, int use_syslog);
/* Parses "error|warn|info|debug"; returns -1 on anything else. */
int dp_log_level_parse(const char *s, enum dp_log_level *out);
void dp_log(enum dp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) dp_log(DP_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) dp_log(DP_LOG_WARN, __VA_ARGS__)
#define log_info(...) dp_log(DP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) dp_log(DP_LOG_DEBUG, __VA_ARGS__)

#endif
