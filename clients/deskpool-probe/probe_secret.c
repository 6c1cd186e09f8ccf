/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_secret.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "files.h"
#include "probe_cli.h"

/* A password file holds one line; anything bigger is the wrong file. */
#define SECRET_FILE_MAX 4096

char *probe_secret_first_line(const char *buf, size_t len)
{
    size_t n = 0;
    while (n < len && buf[n] != '\n' && buf[n] != '\r' && buf[n] != '\0')
        n++;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, buf, n);
    out[n] = '\0';
    return out;
}

char *probe_secret_load(const struct probe_options *opts, struct dp_err *err)
{
    char *out = NULL;

    if (opts->password_file) {
        size_t len = 0;
        struct dp_err why = {0};
        char *buf = dp_read_file(opts->password_file, SECRET_FILE_MAX, &len, &why);
        if (!buf) {
            dp_err_set(err,
                       "--password-file: %s; put the password on the file's first line "
                       "(mode 0600)",
                       dp_err_msg(&why));
            return NULL;
        }
        out = probe_secret_first_line(buf, len);
        explicit_bzero(buf, len);
        free(buf);
    } else if (opts->password_env) {
        const char *v = getenv(opts->password_env);
        if (!v) {
            dp_err_set(err, "--password-env %s: the variable is not set; export it first",
                       opts->password_env);
            return NULL;
        }
        out = strdup(v);
    } else if (opts->password_arg) {
        out = strdup(opts->password_arg);
    } else {
        dp_err_set(err, "no password: give --password-file FILE or --password-env VAR");
        return NULL;
    }
    if (!out) {
        dp_err_set(err, "out of memory reading the password");
        return NULL;
    }
    if (out[0] == '\0') {
        dp_err_set(err, "the password is empty; NLA needs one");
        free(out);
        return NULL;
    }
    return out;
}

void probe_secret_free(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret));
    free(secret);
}
