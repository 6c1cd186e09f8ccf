/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_HV_SPEC_JSON_H
#define DESKPOOL_HV_SPEC_JSON_H

#include "hv.h"

struct dp_err;

/* Saves a spec as JSON (atomically); loads it back, rejecting anything malformed. */
int hv_spec_save(const struct hv_vm_spec *spec, const char *path, struct dp_err *err);
int hv_spec_load(struct hv_vm_spec *spec, const char *path, struct dp_err *err);

#endif
