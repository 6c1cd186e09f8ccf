/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_report.h"

#include <jansson.h>

#include "probe_session.h"

void probe_report_human(FILE *out, const struct probe_result *res, const char *png_path)
{
    if (res->status != PROBE_OK) {
        fprintf(out, "%s: %s\n", probe_status_name(res->status), res->message);
        return;
    }
    fprintf(out, "ok: connect %ld ms, first frame %ld ms", res->connect_ms, res->first_frame_ms);
    if (res->typed_frame_ms >= 0)
        fprintf(out, ", typed text echoed in %ld ms", res->typed_frame_ms);
    if (res->logoff_ms >= 0)
        fprintf(out, ", logged off in %ld ms", res->logoff_ms);
    fprintf(out, ", %ux%u, %ld colours", res->width, res->height, res->distinct_colours);
    if (png_path)
        fprintf(out, ", saved %s", png_path);
    fputc('\n', out);
}

static json_t *ms_or_null(long ms)
{
    return ms >= 0 ? json_integer(ms) : json_null();
}

int probe_report_json(FILE *out, const struct probe_result *res, const char *png_path)
{
    json_t *o = json_object();
    int rc;

    if (!o)
        return -1;
    json_object_set_new(o, "result", json_string(probe_status_name(res->status)));
    json_object_set_new(o, "exit_code", json_integer(res->status));
    json_object_set_new(o, "connect_ms", ms_or_null(res->connect_ms));
    json_object_set_new(o, "first_frame_ms", ms_or_null(res->first_frame_ms));
    if (res->typed_frame_ms >= 0)
        json_object_set_new(o, "typed_frame_ms", json_integer(res->typed_frame_ms));
    if (res->logoff_ms >= 0)
        json_object_set_new(o, "logoff_ms", json_integer(res->logoff_ms));
    if (res->distinct_colours >= 0) {
        json_object_set_new(o, "width", json_integer(res->width));
        json_object_set_new(o, "height", json_integer(res->height));
        json_object_set_new(o, "distinct_colours", json_integer(res->distinct_colours));
    }
    json_object_set_new(o, "frames", json_integer(res->frames));
    if (png_path)
        json_object_set_new(o, "png", json_string(png_path));
    if (res->status != PROBE_OK)
        json_object_set_new(o, "error", json_string(res->message));
    rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(o);
    return rc;
}
