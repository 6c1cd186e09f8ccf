/* SPDX-License-Identifier: Apache-2.0 */
/* Questions on the terminal: trusting a certificate, confirming a reset. */
#include "conn_ctx.h"

#include "cli_password.h"
#include "err.h"

#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int conn_tty(int *opened)
{
    *opened = 0;
    if (isatty(STDIN_FILENO))
        return STDIN_FILENO;
    /* stdin may be a pipe (a script) while a person still sits at the terminal. */
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0)
        *opened = 1;
    return fd;
}

int conn_ask(const char *question, const char *want)
{
    int opened, fd = conn_tty(&opened);
    if (fd < 0)
        return -1;
    char line[64];
    size_t n = 0;
    fputs(question, stderr);
    fflush(stderr);
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r <= 0 || ch == '\n')
            break;
        if (n + 1 < sizeof line)
            line[n++] = ch;
    }
    line[n] = '\0';
    if (opened)
        close(fd);
    if (want)
        return strcmp(line, want) == 0;
    return line[0] == 'y' || line[0] == 'Y';
}
