/* SPDX-License-Identifier: Apache-2.0 */
/* The two shapes most commands have: do one thing and say so, or list things. */
#include "cli_api.h"

int cli_do(struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
           const char *done)
{
    json_t *answer = NULL;
    int rc = cli_api(ctx, method, path, body, &answer);
    json_decref(body);
    if (rc == CLI_OK) {
        if (ctx->json)
            cli_print_json_ok(ctx, answer);
        else if (done)
            fprintf(ctx->out, "%s\n", done);
    }
    json_decref(answer);
    return rc;
}

int cli_list(struct cli_ctx *ctx, const char *path, const struct render_col *cols, size_t ncols,
             const char *empty_msg)
{
    json_t *answer = NULL;
    int rc = cli_api(ctx, "GET", path, NULL, &answer);
    if (rc == CLI_OK) {
        if (ctx->json)
            cli_print_json_ok(ctx, answer);
        else
            render_table(ctx->out, json_object_get(answer, "items"), cols, ncols, empty_msg);
    }
    json_decref(answer);
    return rc;
}
