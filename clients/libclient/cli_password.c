/* SPDX-License-Identifier: Apache-2.0 */
/* New passwords from a terminal (no echo, twice) or from stdin (see cli_password.h). */
#include "cli_password.h"

#include "err.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int cli_password_from_fd(int fd, char *buf, size_t cap, struct dp_err *err)
{
    size_t n = 0;
    /* Byte by byte so nothing after the first line is consumed. */
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            dp_err_errno(err, "cannot read the password from standard input");
            goto fail;
        }
        if (r == 0 || c == '\n')
            break;
        if (c == '\0') {
            dp_err_set(err, "the password contains a NUL byte; give it as one line of text");
            goto fail;
        }
        if (n + 1 >= cap) {
            dp_err_set(err, "the password is longer than %zu bytes; choose a shorter one", cap - 1);
            goto fail;
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (n == 0) {
        dp_err_set(err, "no password given: type it when asked, or pipe one line to standard "
                        "input (echo ... | deskpool user add NAME)");
        return -1;
    }
    return 0;
fail:
    explicit_bzero(buf, cap);
    return -1;
}

int cli_password_prompt(int fd, FILE *out, const char *prompt, char *buf, size_t cap,
                        struct dp_err *err)
{
    struct termios old, quiet;
    if (tcgetattr(fd, &old) != 0) {
        dp_err_errno(err, "cannot read the terminal's settings");
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    fputs(prompt, out);
    fflush(out);
    /* Ctrl-C while echo is off would leave the terminal silent; block it for this read. */
    sigset_t block, prev;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTSTP);
    sigprocmask(SIG_BLOCK, &block, &prev);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    int rc = cli_password_from_fd(fd, buf, cap, err);
    tcsetattr(fd, TCSAFLUSH, &old);
    sigprocmask(SIG_SETMASK, &prev, NULL);
    fputc('\n', out);
    return rc;
}

int cli_password_read(int fd, FILE *prompt_out, const char *user, char *buf, size_t cap,
                      struct dp_err *err)
{
    if (!isatty(fd))
        return cli_password_from_fd(fd, buf, cap, err);
    char again[CLI_PASSWORD_MAX], prompt[256];
    snprintf(prompt, sizeof prompt, "New password for %s: ", user);
    if (cli_password_prompt(fd, prompt_out, prompt, buf, cap, err) != 0)
        return -1;
    int rc = cli_password_prompt(fd, prompt_out, "Type it again: ", again, sizeof again, err);
    if (rc == 0 && strcmp(buf, again) != 0) {
        dp_err_set(err, "the two passwords differ; nothing was changed, try again");
        rc = -1;
    }
    explicit_bzero(again, sizeof again);
    if (rc != 0)
        explicit_bzero(buf, cap);
    return rc;
}
