/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_PROBE_REPORT_H
#define DESKPOOL_PROBE_REPORT_H

#include <stdio.h>

struct probe_result;

/*
 * One line for a person ("ok: connect 412 ms, first frame 530 ms, 1024x768, 87 colours"),
 * or one JSON object for scripts: {"result":"ok","connect_ms":..,"first_frame_ms":..,
 * "width":..,"height":..,"distinct_colours":..} plus "exit_code", "error", "typed_frame_ms"
 * and "png" where they apply. Failures go to the same stream as successes, so a script
 * reading --json output always gets exactly one object.
 */
void probe_report_human(FILE *out, const struct probe_result *res, const char *png_path);
int probe_report_json(FILE *out, const struct probe_result *res, const char *png_path);

#endif
