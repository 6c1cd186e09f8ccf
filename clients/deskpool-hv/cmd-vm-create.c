/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm create NAME --template T[:V] [--clone boot|instant]: a VM whose disk is a differencing
 * disk on the template (boot), or an instant clone of the template version's parent, which
 * is built first if missing (instant; falls back to boot with the reason printed).
 */
#include "cmd.h"
#include "files.h"
#include "instant.h"
#include "parent.h"
#include "store.h"

#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A port no other VM's spec claims and nothing listens on now. */
static int pick_port(struct hv *hv)
{
    struct hv_vm_status *vms;
    size_t n;
    struct dp_err ignore = {0};
    if (hv->ops->list(hv, &vms, &n, &ignore) != 0)
        n = 0, vms = NULL;
    int port = 0;
    for (int p = 43389; p < 53389 && !port; p++) {
        int taken = 0;
        for (size_t i = 0; i < n; i++)
            taken |= vms[i].rdp_port == p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (!taken && fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            port = p;
        if (fd >= 0)
            close(fd);
    }
    free(vms);
    return port;
}

static int exec_vm_create(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_create_entry;
    static const struct option opts[] = {
        {"template", 1, 0, 't'}, {"rdp-port", 1, 0, 'p'}, {"memory", 1, 0, 'm'},
        {"vcpus", 1, 0, 'c'},    {"bridge", 1, 0, 'b'},   {"no-restrict", 0, 0, 'n'},
        {"accel", 1, 0, 'a'},    {"clone", 1, 0, 'k'},    {0, 0, 0, 0}};
    const char *tref = NULL, *port = "auto";
    struct hv_vm_spec spec;
    hv_spec_init(&spec);
    int memory = 0, vcpus = 0, instant = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            tref = optarg;
            break;
        case 'p':
            port = optarg;
            break;
        case 'm':
            memory = atoi(optarg);
            break;
        case 'c':
            vcpus = atoi(optarg);
            break;
        case 'b':
            spec.net = HV_NET_BRIDGE;
            snprintf(spec.bridge, sizeof spec.bridge, "%s", optarg);
            break;
        case 'n':
            spec.restrict_net = 0;
            break;
        case 'a':
            if (hv_accel_parse(optarg, &spec.accel) != 0)
                return cmd_usage(&cmd_vm_create_entry);
            break;
        case 'k':
            if (strcmp(optarg, "instant") != 0 && strcmp(optarg, "boot") != 0)
                return cmd_usage(&cmd_vm_create_entry);
            instant = strcmp(optarg, "instant") == 0;
            break;
        default:
            return cmd_usage(&cmd_vm_create_entry);
        }
    }
    char tname[64];
    int tver;
    if (argc - optind != 1 || !tref || store_parse_ref(tref, tname, sizeof tname, &tver) != 0)
        return cmd_usage(&cmd_vm_create_entry);
    struct dp_err err = {0};
    struct tpl_version v;
    if (store_get(ctx->hv->state_dir, tname, tver, &v, &err) != 0)
        return cmd_fail(&err);
    snprintf(spec.name, sizeof spec.name, "%s", argv[optind]);
    snprintf(spec.base, sizeof spec.base, "%s", v.base);
    snprintf(spec.kernel, sizeof spec.kernel, "%s", v.kernel);
    snprintf(spec.initrd, sizeof spec.initrd, "%s", v.initrd);
    snprintf(spec.append, sizeof spec.append, "%s", v.append);
    spec.memory_mb = memory ? memory : v.memory_mb ? v.memory_mb : 256;
    spec.vcpus = vcpus ? vcpus : v.vcpus ? v.vcpus : 1;
    spec.has_rdp = v.has_rdp;
    if (spec.net == HV_NET_USER) {
        spec.rdp_port = strcmp(port, "auto") == 0 ? pick_port(ctx->hv) : atoi(port);
        if (spec.rdp_port <= 0 || spec.rdp_port > 65535) {
            dp_err_set(&err, "no usable RDP port (%s); give one with --rdp-port N", port);
            return cmd_fail(&err);
        }
    }
    char why[1024] = "";
    if (instant) {
        struct hv_parent par;
        struct dp_err perr = {0};
        int have = hv_parent_ensure(ctx->hv, &v, 0, &par, &perr) == 0;
        if (hv_instant_define(ctx->hv, &spec, have ? par.dir : NULL, why, sizeof why, &err) != 0)
            return cmd_fail(&err);
        if (!have)
            snprintf(why, sizeof why, "%s", dp_err_msg(&perr));
    } else if (ctx->hv->ops->define(ctx->hv, &spec, &err) != 0) {
        return cmd_fail(&err);
    }
    printf("VM %s created on template %s:%d", spec.name, v.name, v.version);
    if (instant)
        printf(why[0] ? ", to boot (no instant clone: %s)" : ", as an instant clone", why);
    if (spec.rdp_port)
        printf(", RDP forwarded from 127.0.0.1:%d", spec.rdp_port);
    printf("\n");
    return 0;
}

const struct cmd_entry cmd_vm_create_entry = {
    "vm create",
    "NAME --template T[:V] [--rdp-port N|auto] [--memory MB] [--vcpus N] [--bridge BR] "
    "[--no-restrict] [--accel auto|kvm|tcg] [--clone boot|instant]",
    "define a VM whose disk is a qcow2 differencing disk on a template version (instant: "
    "restored from the version's saved parent)",
    exec_vm_create};
