/* SPDX-License-Identifier: Apache-2.0 */
/* A session named by id or by its user (see cmds.h). */
#include "cmds.h"

#include <stdlib.h>
#include <string.h>

int session_pick(struct cli_ctx *ctx, const char *arg, const char *pool, long long *id)
{
    char *end;
    long long n = strtoll(arg, &end, 10);
    if (*arg && !*end && n > 0) {
        *id = n;
        return CLI_OK;
    }
    json_t *answer = NULL, *s;
    int rc = cli_api(ctx, "GET", "/sessions?live=1", NULL, &answer);
    if (rc != CLI_OK)
        return rc;
    int found = 0;
    size_t i;
    json_array_foreach(json_object_get(answer, "items"), i, s)
    {
        const char *u = json_string_value(json_object_get(s, "user"));
        const char *p = json_string_value(json_object_get(s, "pool"));
        if (!u || strcmp(u, arg) != 0 || (pool && (!p || strcmp(p, pool) != 0)))
            continue;
        *id = (long long)json_integer_value(json_object_get(s, "id"));
        found++;
    }
    json_decref(answer);
    if (found == 1)
        return CLI_OK;
    if (found == 0)
        fprintf(ctx->err, "deskpool: %s has no live session%s%s (see: deskpool session list)\n",
                arg, pool ? " in pool " : "", pool ? pool : "");
    else
        fprintf(ctx->err,
                "deskpool: %s has %d live sessions; name one by its id or add --pool (see: "
                "deskpool session list)\n",
                arg, found);
    return CLI_API_ERROR;
}
