/* SPDX-License-Identifier: Apache-2.0 */
/* spec.json: how a VM is made, kept in its folder so another process can attach to it. */
#include "spec_json.h"

#include "err.h"
#include "files.h"
#include "qemu_argv.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int hv_spec_save(const struct hv_vm_spec *spec, const char *path, struct dp_err *err)
{
    json_t *o =
        json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:s, s:s, s:b, s:s, "
                  "s:s, s:b}",
                  "name", spec->name, "vcpus", spec->vcpus, "memory_mb", spec->memory_mb, "base",
                  spec->base, "kernel", spec->kernel, "initrd", spec->initrd, "append",
                  spec->append, "net", spec->net == HV_NET_BRIDGE ? "bridge" : "user", "rdp_port",
                  spec->rdp_port, "restrict", spec->restrict_net, "bridge", spec->bridge, "accel",
                  hv_accel_name(spec->accel), "incoming", spec->incoming, "has_rdp", spec->has_rdp,
                  "mac", spec->mac, "mem_file", spec->mem_file, "mem_shared", spec->mem_shared);
    if (!o) {
        dp_err_set(err, "cannot encode the spec of VM %s", spec->name);
        return -1;
    }
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    int rc = dp_write_file_atomic(path, text, strlen(text), 0644, err);
    free(text);
    return rc;
}

static int copy_str(char *dst, size_t cap, json_t *o, const char *key, const char *path,
                    struct dp_err *err)
{
    json_t *v = json_object_get(o, key);
    const char *s = v ? json_string_value(v) : "";
    if (!s || strlen(s) >= cap) {
        dp_err_set(err, "%s: field \"%s\" is not a string or too long; recreate the VM", path, key);
        return -1;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int hv_spec_load(struct hv_vm_spec *spec, const char *path, struct dp_err *err)
{
    struct dp_err jerr = {0};
    char *text = dp_read_file(path, 1 << 20, NULL, &jerr);
    if (!text) {
        dp_err_set(err, "VM spec %s: %s", path, dp_err_msg(&jerr));
        return -1;
    }
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    free(text);
    if (!json_is_object(o)) {
        dp_err_set(err, "VM spec %s is not valid JSON (line %d: %s); recreate the VM", path,
                   je.line, je.text);
        json_decref(o);
        return -1;
    }
    hv_spec_init(spec);
    const char *net = json_string_value(json_object_get(o, "net"));
    const char *accel = json_string_value(json_object_get(o, "accel"));
    int rc = -1;
    if (copy_str(spec->name, sizeof spec->name, o, "name", path, err) ||
        copy_str(spec->base, sizeof spec->base, o, "base", path, err) ||
        copy_str(spec->kernel, sizeof spec->kernel, o, "kernel", path, err) ||
        copy_str(spec->initrd, sizeof spec->initrd, o, "initrd", path, err) ||
        copy_str(spec->append, sizeof spec->append, o, "append", path, err) ||
        copy_str(spec->bridge, sizeof spec->bridge, o, "bridge", path, err) ||
        copy_str(spec->incoming, sizeof spec->incoming, o, "incoming", path, err) ||
        copy_str(spec->mac, sizeof spec->mac, o, "mac", path, err) ||
        copy_str(spec->mem_file, sizeof spec->mem_file, o, "mem_file", path, err))
        goto out;
    spec->mem_shared = json_is_true(json_object_get(o, "mem_shared"));
    spec->vcpus = (int)json_integer_value(json_object_get(o, "vcpus"));
    spec->memory_mb = (int)json_integer_value(json_object_get(o, "memory_mb"));
    spec->rdp_port = (int)json_integer_value(json_object_get(o, "rdp_port"));
    spec->restrict_net = json_is_true(json_object_get(o, "restrict"));
    spec->has_rdp = json_is_true(json_object_get(o, "has_rdp"));
    spec->net = net && strcmp(net, "bridge") == 0 ? HV_NET_BRIDGE : HV_NET_USER;
    if (!accel || hv_accel_parse(accel, &spec->accel) != 0)
        spec->accel = HV_ACCEL_AUTO;
    if (!hv_name_valid(spec->name) || spec->vcpus < 1 || spec->memory_mb < 16 ||
        spec->rdp_port < 0 || spec->rdp_port > 65535 ||
        (spec->mac[0] && !qemu_mac_valid(spec->mac))) {
        dp_err_set(err,
                   "VM spec %s has invalid values (name, vcpus, memory, port or MAC); recreate "
                   "the VM",
                   path);
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}
