/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_PASSWORD_H
#define DESKPOOL_CLI_PASSWORD_H

/* A new password for a user, never from the command line (where `ps` and shell history
 * would keep it): typed twice without echo on a terminal, or one line of stdin. */
#include <stddef.h>
#include <stdio.h>

#define CLI_PASSWORD_MAX 512

struct dp_err;

/* Reads one line from fd (a pipe or file): the password without its "\n" or "\r\n".
 * Empty input, a NUL byte or a line longer than cap-1 is an error. */
int cli_password_from_fd(int fd, char *buf, size_t cap, struct dp_err *err);

/*
 * On a terminal (fd is a tty): prompts on prompt_out for user's new password twice with echo
 * off and requires both to match. Otherwise reads one line from fd.
 */
int cli_password_read(int fd, FILE *prompt_out, const char *user, char *buf, size_t cap,
                      struct dp_err *err);

/* Prints prompt on prompt_out and reads one line from the terminal fd with echo off (Ctrl-C
 * held back meanwhile, so the terminal is never left silent). For logins: asks once. */
int cli_password_prompt(int fd, FILE *prompt_out, const char *prompt, char *buf, size_t cap,
                        struct dp_err *err);

#endif
