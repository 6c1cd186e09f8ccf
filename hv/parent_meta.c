/* SPDX-License-Identifier: Apache-2.0 */
#include "parent_meta.h"

#include "err.h"
#include "files.h"
#include "qemu_argv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options that take no value (all others take exactly one). */
static int is_flag(const char *opt)
{
    return strcmp(opt, "-nodefaults") == 0 || strcmp(opt, "-no-user-config") == 0 ||
           strcmp(opt, "-daemonize") == 0;
}

/* Host-side only: differ per VM and do not change what the guest sees. */
static int host_only(const char *opt)
{
    static const char *const skip[] = {"-name",     "-pidfile", "-qmp",     "-chardev",  "-netdev",
                                       "-incoming", "-sandbox", "-display", "-daemonize"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(opt, skip[i]) == 0)
            return 1;
    return 0;
}

/* Copies a comma-separated option value without the keys that name host files. */
static void strip_keys(const char *val, char *out, size_t cap)
{
    static const char *const drop[] = {"file=", "mem-path=", "share="};
    size_t used = 0;
    out[0] = '\0';
    const char *p = val;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int keep = 1;
        for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
            keep &= strncmp(p, drop[i], strlen(drop[i])) != 0;
        if (keep && used + len + 2 < cap) {
            used +=
                (size_t)snprintf(out + used, cap - used, "%s%.*s", used ? "," : "", (int)len, p);
        }
        p = end ? end + 1 : p + len;
    }
}

int parent_abi(const struct qemu_argv *a, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 1; i < a->argc; i++) {
        const char *opt = a->argv[i];
        const char *val = !is_flag(opt) && i + 1 < a->argc ? a->argv[++i] : "";
        if (host_only(opt))
            continue;
        char norm[1024];
        if (strcmp(opt, "-serial") == 0) /* "file:PATH": the guest sees a UART either way */
            snprintf(norm, sizeof norm, "%.*s", (int)strcspn(val, ":"), val);
        else if (strcmp(opt, "-drive") == 0 || strcmp(opt, "-object") == 0)
            strip_keys(val, norm, sizeof norm);
        else
            snprintf(norm, sizeof norm, "%s", val);
        int n = snprintf(out + used, cap - used, "%s%s%s\n", opt, norm[0] ? " " : "", norm);
        if (n < 0 || (size_t)n >= cap - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

void parent_key(const char *qemu_version, const char *abi, char out[17])
{
    unsigned long long h = 14695981039346656037ull;
    const char *parts[] = {qemu_version, "\n", abi};
    for (size_t i = 0; i < 3; i++)
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, 17, "%016llx", h);
}

/* Line `n` of a newline-separated text into out ("" past the end). */
static void line_at(const char *text, int n, char *out, size_t cap)
{
    const char *p = text;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap, "%.*s", (int)strcspn(p, "\n"), p);
}

static const char *what_differs(const char *line)
{
    if (strncmp(line, "-m ", 3) == 0)
        return "memory size differs";
    if (strncmp(line, "-machine ", 9) == 0)
        return "machine type differs";
    if (strncmp(line, "-smp ", 5) == 0)
        return "vCPU count differs";
    if (strncmp(line, "-accel ", 7) == 0)
        return "accelerator differs";
    if (strncmp(line, "-device ", 8) == 0)
        return "device set differs";
    if (strncmp(line, "-object memory-backend", 22) == 0)
        return "memory backend differs";
    return "guest hardware differs";
}

int parent_compat(const struct hv_parent_meta *m, const char *qemu_version, const char *abi,
                  char *why, size_t cap)
{
    if (strcmp(m->qemu_version, qemu_version) != 0) {
        snprintf(why, cap, "QEMU version differs: parent saved by %s, this host runs %s",
                 m->qemu_version, qemu_version);
        return 0;
    }
    if (strcmp(m->abi, abi) == 0)
        return 1;
    for (int i = 0;; i++) {
        char a[1024], b[1024];
        line_at(m->abi, i, a, sizeof a);
        line_at(abi, i, b, sizeof b);
        if (strcmp(a, b) != 0) {
            snprintf(why, cap, "%s: parent \"%s\", clone \"%s\"", what_differs(a[0] ? a : b),
                     a[0] ? a : "(nothing)", b[0] ? b : "(nothing)");
            return 0;
        }
        if (!a[0])
            break;
    }
    snprintf(why, cap, "guest hardware differs");
    return 0;
}

int parent_meta_save(const struct hv_parent_meta *m, const char *path, struct dp_err *err)
{
    json_t *abi = json_array();
    for (int i = 0;; i++) {
        char line[1024];
        line_at(m->abi, i, line, sizeof line);
        if (!line[0])
            break;
        json_array_append_new(abi, json_string(line));
    }
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:o, s:{s:s, s:I}, s:{s:s, s:I}, "
        "s:{s:s, s:I, s:I}, s:I, s:i, s:i}",
        "template", m->template_name, "template_version", m->template_version, "template_sha256",
        m->template_sha256, "key", m->key, "qemu_version", m->qemu_version, "machine", m->machine,
        "memory_mb", m->memory_mb, "vcpus", m->vcpus, "mac", m->mac, "devices", abi, "state",
        "sha256", m->state_sha256, "size", (json_int_t)m->state_size, "disk", "sha256",
        m->disk_sha256, "size", (json_int_t)m->disk_size, "ram", "sha256", m->ram_sha256, "size",
        (json_int_t)m->ram_size, "mtime_ns", (json_int_t)m->ram_mtime_ns, "created",
        (json_int_t)m->created, "boot_ms", m->boot_ms, "save_ms", m->save_ms);
    if (!o) {
        dp_err_set(err, "cannot encode parent meta %s", path);
        return -1;
    }
    char *text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    int rc = dp_write_file_atomic(path, text, strlen(text), 0444, err);
    free(text);
    return rc;
}

static int get_str(json_t *o, const char *key, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= cap)
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int parent_meta_load(struct hv_parent_meta *m, const char *path, struct dp_err *err)
{
    memset(m, 0, sizeof *m);
    struct dp_err rerr = {0};
    char *text = dp_read_file(path, 1 << 20, NULL, &rerr);
    if (!text) {
        dp_err_set(err, "parent meta %s: %s", path, dp_err_msg(&rerr));
        return -1;
    }
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    json_t *st = json_object_get(o, "state"), *dk = json_object_get(o, "disk"),
           *ram = json_object_get(o, "ram"), *abi = json_object_get(o, "devices");
    int bad = !json_is_object(o) || !json_is_array(abi) ||
              get_str(o, "template", m->template_name, sizeof m->template_name) ||
              get_str(o, "template_sha256", m->template_sha256, sizeof m->template_sha256) ||
              get_str(o, "key", m->key, sizeof m->key) ||
              get_str(o, "qemu_version", m->qemu_version, sizeof m->qemu_version) ||
              get_str(o, "machine", m->machine, sizeof m->machine) ||
              get_str(o, "mac", m->mac, sizeof m->mac) ||
              get_str(st, "sha256", m->state_sha256, sizeof m->state_sha256) ||
              get_str(dk, "sha256", m->disk_sha256, sizeof m->disk_sha256) ||
              get_str(ram, "sha256", m->ram_sha256, sizeof m->ram_sha256);
    size_t used = 0, i;
    json_t *line;
    json_array_foreach(abi, i, line)
    {
        const char *s = json_string_value(line);
        int n = s ? snprintf(m->abi + used, sizeof m->abi - used, "%s\n", s) : -1;
        if (n < 0 || (size_t)n >= sizeof m->abi - used) {
            bad = 1;
            break;
        }
        used += (size_t)n;
    }
    if (!bad) {
        m->template_version = (int)json_integer_value(json_object_get(o, "template_version"));
        m->memory_mb = (int)json_integer_value(json_object_get(o, "memory_mb"));
        m->vcpus = (int)json_integer_value(json_object_get(o, "vcpus"));
        m->state_size = json_integer_value(json_object_get(st, "size"));
        m->disk_size = json_integer_value(json_object_get(dk, "size"));
        m->ram_size = json_integer_value(json_object_get(ram, "size"));
        m->ram_mtime_ns = json_integer_value(json_object_get(ram, "mtime_ns"));
        m->created = json_integer_value(json_object_get(o, "created"));
        m->boot_ms = (int)json_integer_value(json_object_get(o, "boot_ms"));
        m->save_ms = (int)json_integer_value(json_object_get(o, "save_ms"));
    }
    json_decref(o);
    if (bad) {
        dp_err_set(err,
                   "parent meta %s is not valid; rebuild the parent (deskpool-hv parent build "
                   "--force TEMPLATE:VERSION)",
                   path);
        return -1;
    }
    return 0;
}
