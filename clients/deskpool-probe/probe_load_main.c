/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-probe --users/--users-file: options to logins, the run, the report. */
#include "probe_load.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "files.h"
#include "probe_cli.h"
#include "probe_secret.h"

#define USERS_FILE_MAX (1024 * 1024)
#define DEFAULT_CONCURRENCY_MAX 64

static int load_logins(const struct probe_options *opts, struct probe_logins *l, struct dp_err *err)
{
    if (opts->users_file) {
        size_t len = 0;
        struct dp_err why = {0};
        char *text = dp_read_file(opts->users_file, USERS_FILE_MAX, &len, &why);
        if (!text) {
            dp_err_set(err, "--users-file: %s; write user:password lines (mode 0600)",
                       dp_err_msg(&why));
            return -1;
        }
        int rc = probe_logins_from_text(text, len, l, err);
        explicit_bzero(text, len);
        free(text);
        return rc;
    }
    char *password = probe_secret_load(opts, err);
    if (!password)
        return -1;
    int rc = probe_logins_from_list(opts->users, password, l, err);
    probe_secret_free(password);
    return rc;
}

int probe_load_main(const struct probe_options *opts)
{
    struct probe_logins l;
    struct probe_load_summary sum;
    struct dp_err err = {0};
    char target[300];

    if (load_logins(opts, &l, &err) != 0) {
        fprintf(stderr, "deskpool-probe: %s\n", dp_err_msg(&err));
        return PROBE_USAGE;
    }
    snprintf(target, sizeof target, strchr(opts->host, ':') ? "[%s]:%u" : "%s:%u", opts->host,
             opts->port);
    struct probe_session_config base = {
        .host = opts->host,
        .port = opts->port,
        .domain = opts->domain,
        .sec = opts->sec,
        .load_balance_info = opts->load_balance_info,
        .width = opts->width,
        .height = opts->height,
        .timeout_ms = opts->timeout_ms,
        .settle_ms = opts->settle_ms < 0 ? 0 : (unsigned)opts->settle_ms,
        .type_text = opts->type_text,
        .logoff = opts->logoff,
    };
    unsigned conc = opts->concurrency;
    if (conc == 0) /* a storm by default: everyone at once, within reason */
        conc = l.n < DEFAULT_CONCURRENCY_MAX ? (unsigned)l.n : DEFAULT_CONCURRENCY_MAX;

    probe_session_global_init(opts->verbose);
    probe_load_run(&base, &l, conc, &sum);
    if (opts->json)
        probe_load_report_json(stdout, target, &l, &sum);
    else
        probe_load_report_human(stdout, target, &l, &sum);
    fflush(stdout);
    int rc = probe_load_exit_status(&sum);
    probe_logins_free(&l);
    return rc;
}
