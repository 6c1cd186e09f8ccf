/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool [--socket PATH] [--json] [--timeout S] COMMAND ...: global options, finding the
 * command, its options, running it. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: deskpool [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]\n\n"
               "The admin CLI of deskpoold, the deskpool VDI broker. It talks to deskpoold's API\n"
               "on a unix socket: --socket, else $DESKPOOL_SOCKET, else " CLI_DEFAULT_SOCKET ".\n\n"
               "Commands (deskpool COMMAND --help for each):\n");
    for (int i = 0; cli_table[i]; i++) {
        const struct cli_cmd *c = cli_table[i];
        fprintf(f, "  %-19s %s\n", c->name, c->help);
    }
    fprintf(f, "\nExit status: 0 done, 1 deskpoold refused or failed the request (its message\n"
               "says why), 2 bad command line, 3 cannot reach deskpoold.\n");
}

/* Does the command's name start with the words in argv? Returns how many it took. */
static int match(const char *name, int argc, char **argv)
{
    int words = 0;
    const char *p = name;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (words >= argc || strlen(argv[words]) != n || strncmp(argv[words], p, n) != 0)
            return 0;
        words++;
        p += n + (sp ? 1 : 0);
    }
    return words;
}

const struct cli_cmd *cli_find(int argc, char **argv, int *words)
{
    for (int i = 0; cli_table[i]; i++) {
        int w = match(cli_table[i]->name, argc, argv);
        if (w) {
            *words = w;
            return cli_table[i];
        }
    }
    return NULL;
}

/* "deskpool pool" or "deskpool pool bogus": list what that group has. */
static int group_help(const char *group, const char *bad, FILE *f)
{
    size_t n = strlen(group);
    int found = 0;
    for (int i = 0; cli_table[i]; i++)
        if (strncmp(cli_table[i]->name, group, n) == 0 && cli_table[i]->name[n] == ' ')
            found = 1;
    if (!found)
        return 0;
    if (bad)
        fprintf(f, "deskpool: unknown command \"%s %s\"\n", group, bad);
    fprintf(f, "%s commands:\n", group);
    for (int i = 0; cli_table[i]; i++)
        if (strncmp(cli_table[i]->name, group, n) == 0 && cli_table[i]->name[n] == ' ')
            fprintf(f, "  deskpool %s %s\n      %s\n", cli_table[i]->name, cli_table[i]->usage,
                    cli_table[i]->help);
    return 1;
}

int cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct cli_ctx ctx = {0};
    const char *env = getenv("DESKPOOL_SOCKET");
    ctx.socket = env && *env ? env : CLI_DEFAULT_SOCKET;
    ctx.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    ctx.out = out;
    ctx.err = err;
    ctx.interactive = out == stdout && isatty(STDOUT_FILENO);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *w = argv[i];
        if (strcmp(w, "--socket") == 0 && i + 1 < argc) {
            ctx.socket = argv[++i];
        } else if (strncmp(w, "--socket=", 9) == 0) {
            ctx.socket = w + 9;
        } else if (strcmp(w, "--json") == 0) {
            ctx.json = 1;
        } else if (strcmp(w, "--timeout") == 0 && i + 1 < argc) {
            char *end;
            long s = strtol(argv[++i], &end, 10);
            if (*end || s < 1 || s > 86400) {
                fprintf(err, "deskpool: --timeout needs seconds from 1 to 86400, not \"%s\"\n",
                        argv[i]);
                return CLI_USAGE;
            }
            ctx.timeout_ms = (int)s * 1000;
        } else if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            usage(out);
            return CLI_OK;
        } else {
            fprintf(err, "deskpool: unknown option %s (see deskpool --help)\n", w);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        usage(err);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 >= argc) {
            usage(out);
            return CLI_OK;
        }
        i++;
        int words;
        const struct cli_cmd *c = cli_find(argc - i, argv + i, &words);
        if (c) {
            cli_help(c, out);
            return CLI_OK;
        }
        if (group_help(argv[i], NULL, out))
            return CLI_OK;
        fprintf(err, "deskpool: unknown command \"%s\" (see deskpool --help)\n", argv[i]);
        return CLI_USAGE;
    }
    int words;
    const struct cli_cmd *cmd = cli_find(argc - i, argv + i, &words);
    if (!cmd) {
        int asked_help =
            i + 1 < argc && (strcmp(argv[i + 1], "--help") == 0 || strcmp(argv[i + 1], "-h") == 0);
        if (group_help(argv[i], i + 1 < argc && !asked_help ? argv[i + 1] : NULL,
                       asked_help ? out : err))
            return asked_help ? CLI_OK : CLI_USAGE;
        fprintf(err, "deskpool: unknown command \"%s\" (see deskpool --help)\n", argv[i]);
        return CLI_USAGE;
    }
    ctx.cmd = cmd;
    struct cli_args a;
    char msg[256];
    int rc =
        cli_args_parse(cmd, argc - i - words, argv + i + words, &a, &ctx.json, msg, sizeof msg);
    if (rc == 1) {
        cli_help(cmd, out);
        return CLI_OK;
    }
    if (rc < 0)
        return cli_usage(&ctx, "%s", msg);
    return cmd->exec(&ctx, &a);
}
