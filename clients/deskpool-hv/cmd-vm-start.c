/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm start NAME [--wait SEC]: start, and optionally wait until ready (else leave it off).
 * An instant clone is always started to ready: restored from its parent (or booted when it
 * cannot be), then personalised.
 */
#include "cmd.h"
#include "instant.h"
#include "qga.h"
#include "ready.h"

#include <jansson.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* The VM's guest agent socket (the name was validated by attach). */
static const char *spec_paths_qga(struct cmd_ctx *ctx, const char *name)
{
    static struct hv_vm_paths p;
    struct dp_err ignore = {0};
    ctx->hv->ops->paths(ctx->hv, name, &p, &ignore);
    return p.qga;
}

static int exec_vm_start(struct cmd_ctx *ctx, int argc, char **argv)
{
    extern const struct cmd_entry cmd_vm_start_entry;
    static const struct option opts[] = {
        {"wait", 1, 0, 'w'}, {"no-rdp-check", 0, 0, 'n'}, {"personalise", 0, 0, 'p'}, {0, 0, 0, 0}};
    int wait_s = 0, rdp_check = 1, personalise = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'w')
            wait_s = atoi(optarg);
        else if (c == 'n')
            rdp_check = 0;
        else if (c == 'p')
            personalise = 1;
        else
            return cmd_usage(&cmd_vm_start_entry);
    }
    if (argc - optind != 1)
        return cmd_usage(&cmd_vm_start_entry);
    const char *name = argv[optind];
    struct dp_err err = {0};
    struct hv_vm_spec spec;
    if (ctx->hv->ops->attach(ctx->hv, name, &spec, &err) != 0)
        return cmd_fail(&err);
    /* Instant clones always go this way; --personalise takes any VM the pool's way. */
    if (spec.incoming[0] || personalise) {
        struct hv_instant_result res;
        if (hv_instant_start(ctx->hv, name, NULL, (wait_s > 0 ? wait_s : 120) * 1000, &res, &err) !=
            0) {
            fprintf(stderr, "deskpool-hv: %s; the VM was stopped\n", dp_err_msg(&err));
            return 1;
        }
        if (res.restored)
            printf("VM %s ready in %d ms (restored from its parent in %d ms)\n", name, res.ready_ms,
                   res.restore_ms);
        else if (res.fallback[0])
            printf("VM %s ready in %d ms (cold boot: %s)\n", name, res.ready_ms, res.fallback);
        else
            printf("VM %s ready in %d ms (booted, personalised)\n", name, res.ready_ms);
        return 0;
    }
    if (ctx->hv->ops->start(ctx->hv, name, &err) != 0)
        return cmd_fail(&err);
    if (wait_s <= 0) {
        printf("VM %s started\n", name);
        return 0;
    }
    int ms = hv_wait_ready(ctx->hv, name, wait_s * 1000, rdp_check && spec.has_rdp, &err);
    if (ms < 0) {
        /* A VM that never became ready is not left running half-alive. */
        struct dp_err ignore = {0};
        ctx->hv->ops->kill(ctx->hv, name, &ignore);
        fprintf(stderr, "deskpool-hv: %s; the VM was stopped\n", dp_err_msg(&err));
        return 1;
    }
    /* Personalise: the guest takes the VM's name (the template's image has its own). */
    json_t *r = qga_call(spec_paths_qga(ctx, name), "deskpool-set-host-name",
                         qga_args_set_host_name(name), 5000, &err);
    if (!r)
        fprintf(stderr, "deskpool-hv: warning: %s\n", dp_err_msg(&err));
    json_decref(r);
    printf("VM %s ready in %d ms\n", name, ms);
    return 0;
}

const struct cmd_entry cmd_vm_start_entry = {
    "vm start", "NAME [--wait SECONDS] [--no-rdp-check] [--personalise]",
    "start a VM; with --wait, wait until its guest agent (and RDP) answer, else stop it; "
    "instant clones (and any VM with --personalise) are restored or booted, personalised "
    "(clock, host name) and waited for",
    exec_vm_start};
