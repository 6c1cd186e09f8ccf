/* SPDX-License-Identifier: Apache-2.0 */
/* The load mode's report: a table for people, one JSON object for scripts. */
#include "probe_load.h"

#include <jansson.h>
#include <string.h>

static void stats_line(FILE *out, const char *what, const struct probe_stats *s)
{
    if (s->n == 0) {
        fprintf(out, "  %-24s -\n", what);
        return;
    }
    fprintf(out, "  %-24s %6ld %6ld %6ld %6ld %6ld %8.0f\n", what, s->min, s->p50, s->p95, s->p99,
            s->max, s->mean);
}

void probe_load_report_human(FILE *out, const char *target, const struct probe_logins *l,
                             const struct probe_load_summary *sum)
{
    size_t width = 4;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i].user) > width)
            width = strlen(l->v[i].user);

    fprintf(out, "%zu logins to %s, at most %u at once (peak %u), %.1f s: %zu ok, %zu failed\n",
            l->n, target, sum->concurrency, sum->peak, (double)sum->wall_ms / 1000.0, sum->ok,
            sum->failed);
    fprintf(out, "\n  %-24s %6s %6s %6s %6s %6s %8s\n", "ms (successful logins)", "min", "p50",
            "p95", "p99", "max", "mean");
    stats_line(out, "time to first frame", &sum->first_frame);
    stats_line(out, "connect", &sum->connect);
    if (sum->failed) {
        fprintf(out, "\nfailures by exit class:");
        for (int s = 1; s < 8; s++)
            if (sum->by_status[s])
                fprintf(out, " %s (%d) %zu", probe_status_name((enum probe_status)s), s,
                        sum->by_status[s]);
        fputc('\n', out);
    }
    fprintf(out, "\n  %-*s  %-12s %8s %8s %12s\n", (int)width, "user", "result", "start", "connect",
            "first frame");
    for (size_t i = 0; i < l->n; i++) {
        const struct probe_login *g = &l->v[i];
        char c[24] = "-", f[24] = "-";
        if (g->res.connect_ms >= 0)
            snprintf(c, sizeof c, "%ld", g->res.connect_ms);
        if (g->res.first_frame_ms >= 0)
            snprintf(f, sizeof f, "%ld", g->res.first_frame_ms);
        fprintf(out, "  %-*s  %-12s %8ld %8s %12s", (int)width, g->user,
                probe_status_name(g->res.status), g->start_ms, c, f);
        if (g->res.status != PROBE_OK)
            fprintf(out, "  %s", g->res.message);
        fputc('\n', out);
    }
}

static json_t *stats_json(const struct probe_stats *s)
{
    if (s->n == 0)
        return json_null();
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "n", (json_int_t)s->n, "min",
                     (json_int_t)s->min, "p50", (json_int_t)s->p50, "p95", (json_int_t)s->p95,
                     "p99", (json_int_t)s->p99, "max", (json_int_t)s->max, "mean", s->mean);
}

static json_t *ms(long v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

int probe_load_report_json(FILE *out, const char *target, const struct probe_logins *l,
                           const struct probe_load_summary *sum)
{
    json_t *o = json_object(), *fail = json_object(), *logins = json_array();
    int rc;
    int code = probe_load_exit_status(sum);

    if (!o || !fail || !logins) {
        json_decref(o);
        json_decref(fail);
        json_decref(logins);
        return -1;
    }
    for (int s = 1; s < 8; s++)
        if (sum->by_status[s])
            json_object_set_new(fail, probe_status_name((enum probe_status)s),
                                json_integer((json_int_t)sum->by_status[s]));
    for (size_t i = 0; i < l->n; i++) {
        const struct probe_login *g = &l->v[i];
        json_t *e = json_pack("{s:s, s:s, s:i, s:I, s:o, s:o}", "user", g->user, "result",
                              probe_status_name(g->res.status), "exit_code", g->res.status,
                              "start_ms", (json_int_t)g->start_ms, "connect_ms",
                              ms(g->res.connect_ms), "first_frame_ms", ms(g->res.first_frame_ms));
        if (e && g->res.status != PROBE_OK)
            json_object_set_new(e, "error", json_string(g->res.message));
        json_array_append_new(logins, e);
    }
    json_object_set_new(o, "result", json_string(probe_status_name((enum probe_status)code)));
    json_object_set_new(o, "exit_code", json_integer(code));
    json_object_set_new(o, "target", json_string(target));
    json_object_set_new(o, "logins_total", json_integer((json_int_t)l->n));
    json_object_set_new(o, "ok", json_integer((json_int_t)sum->ok));
    json_object_set_new(o, "failed", json_integer((json_int_t)sum->failed));
    json_object_set_new(o, "concurrency", json_integer(sum->concurrency));
    json_object_set_new(o, "peak_concurrency", json_integer(sum->peak));
    json_object_set_new(o, "wall_ms", json_integer((json_int_t)sum->wall_ms));
    json_object_set_new(o, "first_frame_ms", stats_json(&sum->first_frame));
    json_object_set_new(o, "connect_ms", stats_json(&sum->connect));
    json_object_set_new(o, "failures", fail);
    json_object_set_new(o, "logins", logins);
    rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(o);
    return rc;
}
