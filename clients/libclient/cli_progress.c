/* SPDX-License-Identifier: Apache-2.0 */
/* A spinner line for long operations (see cli_progress.h). */
#include "cli_progress.h"

#include "files.h"

#include <stdarg.h>
#include <string.h>

void progress_start(struct cli_progress *p, FILE *f, int enabled, const char *text)
{
    memset(p, 0, sizeof *p);
    p->f = enabled ? f : NULL;
    p->start_ms = dp_now_ms();
    snprintf(p->text, sizeof p->text, "%s", text);
    progress_tick(p);
}

void progress_set(struct cli_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
    progress_tick(p);
}

void progress_tick(void *arg)
{
    static const char spin[] = "|/-\\";
    struct cli_progress *p = arg;
    if (!p->f)
        return;
    unsigned s = (unsigned)((dp_now_ms() - p->start_ms) / 1000);
    /* "\r" back to the start, "\033[K" erases what a longer previous text left. */
    fprintf(p->f, "\r%c %s (%u:%02u)\033[K", spin[p->frame++ % 4], p->text, s / 60, s % 60);
    fflush(p->f);
    p->shown = 1;
}

void progress_end(struct cli_progress *p)
{
    if (p->f && p->shown) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
    p->shown = 0;
}
