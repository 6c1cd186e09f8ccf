/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qga NAME COMMAND [JSON]: one guest agent command, reply printed as JSON.
 * qga NAME set-password USER: password read from stdin (never from the command line).
 */
#include "cmd.h"
#include "qga.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define QGA_TIMEOUT_MS 10000

/* Reads one line from stdin without echo when it is a terminal. */
static int read_password(char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? 0 : -1;
}

struct shutdown_wait {
    int done;
    char error[512];
};

static void on_shutdown_sent(struct qga_client *c, json_t *ret, const char *error, void *arg)
{
    struct shutdown_wait *w = arg;
    w->done = 1;
    if (error)
        snprintf(w->error, sizeof w->error, "%s", error);
}

/* guest-shutdown has no reply on success: wait only until the agent took the command. */
static int send_shutdown(const char *qga_path, const char *mode, struct dp_err *err)
{
    struct event_base *base = event_base_new();
    struct qga_client *c = base ? qga_open(base, qga_path, err) : NULL;
    struct shutdown_wait w = {0};
    int rc = -1;
    if (c && qga_shutdown(c, mode, QGA_TIMEOUT_MS, on_shutdown_sent, &w, err) == 0) {
        while (!w.done && event_base_loop(base, EVLOOP_ONCE) == 0)
            ;
        if (w.error[0])
            dp_err_set(err, "%s", w.error);
        rc = w.done && !w.error[0] ? 0 : -1;
    }
    if (c)
        qga_close(c);
    if (base)
        event_base_free(base);
    return rc;
}

static int exec_qga(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_qga_entry;
    if (argc < 3 || argc > 4)
        return cmd_usage(&cmd_qga_entry);
    struct dp_err err = {0};
    struct hv_vm_paths p;
    if (ctx->hv->ops->paths(ctx->hv, argv[1], &p, &err) != 0)
        return cmd_fail(&err);
    const char *cmd = argv[2];
    json_t *args = NULL;
    if (strcmp(cmd, "set-password") == 0) {
        char pw[512];
        if (argc != 4)
            return cmd_usage(&cmd_qga_entry);
        if (read_password(pw, sizeof pw) != 0) {
            dp_err_set(&err, "no password on standard input; type it or pipe it in");
            return cmd_fail(&err);
        }
        args = qga_args_set_user_password(argv[3], pw);
        memset(pw, 0, sizeof pw);
        cmd = "guest-set-user-password";
    } else if (argc == 4) {
        json_error_t je;
        args = json_loads(argv[3], 0, &je);
        if (!json_is_object(args)) {
            dp_err_set(&err,
                       "arguments must be a JSON object, e.g. '{\"mode\":\"powerdown\"}' (%s)",
                       je.text);
            json_decref(args);
            return cmd_fail(&err);
        }
    }
    if (strcmp(cmd, "guest-shutdown") == 0) {
        const char *mode = json_string_value(json_object_get(args, "mode"));
        int rc = send_shutdown(p.qga, mode, &err);
        json_decref(args);
        if (rc != 0)
            return cmd_fail(&err);
        printf("shutdown sent to VM %s\n", argv[1]);
        return 0;
    }
    json_t *ret = qga_call(p.qga, cmd, args, QGA_TIMEOUT_MS, &err);
    if (!ret)
        return cmd_fail(&err);
    char *text = json_dumps(ret, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text);
    free(text);
    json_decref(ret);
    return 0;
}

const struct cmd_entry cmd_qga_entry = {
    "qga", "NAME COMMAND [JSON-ARGS] | NAME set-password USER",
    "run a guest agent command (guest-ping, guest-info, guest-get-users, ...); set-password "
    "reads the password from stdin",
    exec_qga};
