/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-hv [--state DIR] [--json] [--log-level L] COMMAND ...: finds the command, runs it. */
#include "cmd.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STATE "/var/lib/deskpool"

static void usage(FILE *f)
{
    fprintf(f, "usage: deskpool-hv [--state DIR] [--json] [--log-level error|warn|info|debug] "
               "COMMAND [ARGS]\n\n"
               "State directory: --state, else $DESKPOOL_STATE, else " DEFAULT_STATE ".\n\n"
               "Commands:\n");
    for (int i = 0; cmd_table[i]; i++)
        fprintf(f, "  %-17s %s\n      %s\n", cmd_table[i]->name, cmd_table[i]->usage,
                cmd_table[i]->help);
}

/* Matches "vm start" against argv words; returns how many words the name took, or 0. */
static int match(const char *name, int argc, char **argv)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", name);
    int words = 0;
    for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (words >= argc || strcmp(argv[words], w) != 0)
            return 0;
        words++;
    }
    return words;
}

int main(int argc, char **argv)
{
    struct cmd_ctx ctx = {0};
    ctx.state_dir = getenv("DESKPOOL_STATE") ? getenv("DESKPOOL_STATE") : DEFAULT_STATE;
    enum dp_log_level level = DP_LOG_WARN;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            ctx.state_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            ctx.json = 1;
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            if (dp_log_level_parse(argv[++i], &level) != 0) {
                fprintf(stderr,
                        "deskpool-hv: unknown log level %s; use error, warn, info or "
                        "debug\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "deskpool-hv: unknown option %s (see deskpool-hv --help)\n", argv[i]);
            return 2;
        }
    }
    dp_log_init("deskpool-hv", level, 0);
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    for (int c = 0; cmd_table[c]; c++) {
        int words = match(cmd_table[c]->name, argc - i, argv + i);
        if (!words)
            continue;
        struct dp_err err = {0};
        ctx.hv = hv_qemu_open(ctx.state_dir, &err);
        if (!ctx.hv)
            return cmd_fail(&err);
        /* The command sees its own name as argv[0], like a program of its own. */
        int rc = cmd_table[c]->exec(&ctx, argc - i - words + 1, argv + i + words - 1);
        ctx.hv->ops->close(ctx.hv);
        return rc;
    }
    fprintf(stderr, "deskpool-hv: unknown command \"%s\" (see deskpool-hv --help)\n", argv[i]);
    return 2;
}
