/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vset(struct dp_err *err, int errnum, const char *fmt, va_list ap)
{
    if (!err || err->set)
        return;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (errnum && n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
    err->set = 1;
}

void dp_err_set(struct dp_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, 0, fmt, ap);
    va_end(ap);
}

void dp_err_errno(struct dp_err *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, saved, fmt, ap);
    va_end(ap);
    errno = saved;
}

void dp_err_clear(struct dp_err *err)
{
    if (err) {
        err->set = 0;
        err->msg[0] = '\0';
    }
}

const char *dp_err_msg(const struct dp_err *err)
{
    return err && err->set ? err->msg : "unknown error";
}
