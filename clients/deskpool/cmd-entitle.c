/* SPDX-License-Identifier: Apache-2.0 */
/* entitle POOL --user U | --group G [--remove]; entitle --list [POOL]. */
#include "cmds.h"

#include <string.h>

static const struct render_col cols[] = {
    {">ID", "id", R_TEXT},
    {"POOL", "pool", R_TEXT},
    {"USER", "user", R_TEXT},
    {"GROUP", "group", R_TEXT},
};

static int same(json_t *e, const char *key, const char *value)
{
    const char *v = json_string_value(json_object_get(e, key));
    return v && strcmp(v, value) == 0;
}

static int list(struct cli_ctx *ctx, const char *pool)
{
    json_t *answer = NULL;
    int rc = cli_api(ctx, "GET", "/entitlements", NULL, &answer);
    if (rc != CLI_OK) {
        json_decref(answer);
        return rc;
    }
    json_t *items = json_object_get(answer, "items");
    if (pool) { /* only that pool's, filtered here so the API stays simple */
        for (size_t i = json_array_size(items); i-- > 0;)
            if (!same(json_array_get(items, i), "pool", pool))
                json_array_remove(items, i);
    }
    if (ctx->json)
        cli_print_json_ok(ctx, answer);
    else
        render_table(ctx->out, items, cols, sizeof cols / sizeof cols[0],
                     "no entitlements; give one: deskpool entitle POOL --user NAME");
    json_decref(answer);
    return CLI_OK;
}

/* Finds the entitlement's id and deletes it. */
static int remove_one(struct cli_ctx *ctx, const char *pool, const char *key, const char *who)
{
    json_t *answer = NULL, *e;
    int rc = cli_api(ctx, "GET", "/entitlements", NULL, &answer);
    if (rc != CLI_OK)
        return rc;
    long long id = -1;
    size_t i;
    json_array_foreach(json_object_get(answer, "items"), i, e)
    {
        if (same(e, "pool", pool) && same(e, key, who))
            id = (long long)json_integer_value(json_object_get(e, "id"));
    }
    json_decref(answer);
    if (id < 0) {
        fprintf(ctx->err,
                "deskpool: %s %s is not entitled to pool %s; nothing to remove (see: deskpool "
                "entitle --list %s)\n",
                key, who, pool, pool);
        return CLI_API_ERROR;
    }
    char path[64], done[400];
    snprintf(path, sizeof path, "/entitlements/%lld", id);
    snprintf(done, sizeof done, "%s %s may no longer use pool %s", key, who, pool);
    return cli_do(ctx, "DELETE", path, NULL, done);
}

static int exec_entitle(struct cli_ctx *ctx, const struct cli_args *a)
{
    const char *user = cli_arg(a, "--user"), *group = cli_arg(a, "--group");
    if (cli_arg(a, "--list"))
        return list(ctx, a->argc ? a->argv[0] : NULL);
    if (a->argc != 1 || (!user == !group))
        return cli_usage(ctx, "name one pool and exactly one of --user or --group");
    const char *key = user ? "user" : "group", *who = user ? user : group;
    if (cli_arg(a, "--remove"))
        return remove_one(ctx, a->argv[0], key, who);
    char done[400];
    snprintf(done, sizeof done, "%s %s may use pool %s", key, who, a->argv[0]);
    return cli_do(ctx, "POST", "/entitlements",
                  json_pack("{s:s, s:s}", "pool", a->argv[0], key, who), done);
}

static const struct cli_opt opts[] = {
    {"--user", 1}, {"--group", 1}, {"--remove", 0}, {"--list", 0}, {NULL, 0}};

const struct cli_cmd cmd_entitle = {
    .name = "entitle",
    .usage = "POOL --user NAME | --group NAME [--remove]  |  --list [POOL]",
    .help = "let a user or group use a pool (--remove takes it back, --list shows them)",
    .opts = opts,
    .min_args = 0,
    .max_args = 1,
    .exec = exec_entitle,
};
