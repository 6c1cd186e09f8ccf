/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes deskpool-guestd's QGA framing, parsing and dispatch: whatever the host (or a
 * compromised host process) writes to the virtio-serial port must give error replies,
 * never a crash or unbounded memory. Machine effects are stubbed; files go to a
 * private temporary folder. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "guestd.h"
#include "qga_proto.h"

static int stub_power(void *opaque, enum guestd_power mode, struct dp_err *err)
{
    (void)opaque;
    (void)mode;
    (void)err;
    return 0;
}

static int stub_set_time(void *opaque, int has_ns, int64_t ns, struct dp_err *err)
{
    (void)opaque;
    (void)has_ns;
    (void)ns;
    (void)err;
    return 0;
}

static int stub_set_hostname(void *opaque, const char *name, struct dp_err *err)
{
    (void)opaque;
    (void)name;
    (void)err;
    return 0;
}

static int stub_add_entropy(void *opaque, const uint8_t *buf, size_t n, struct dp_err *err)
{
    (void)opaque;
    (void)buf;
    (void)n;
    (void)err;
    return 0;
}

static json_t *stub_interfaces(void *opaque, struct dp_err *err)
{
    (void)opaque;
    (void)err;
    return json_pack("[{s:s,s:[]}]", "name", "lo", "ip-addresses");
}

static struct guestd_ctx ctx;
static struct qga_conn conn;

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    static char root[] = "/tmp/fuzz-guestd.XXXXXX";
    if (!mkdtemp(root))
        abort();
    guestd_paths_init(&ctx.paths, root, NULL);
    ctx.sys = (struct guestd_sys){stub_power,      stub_set_time, stub_set_hostname,
                                  stub_interfaces, NULL,          stub_add_entropy};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    qga_conn_init(&conn, &ctx);
    struct qga_out out = {0};
    /* Feed in two pieces so a request split across reads is exercised too. */
    size_t half = size ? data[0] % (size + 1) : 0;
    qga_feed(&conn, data, half, &out);
    qga_feed(&conn, data + half, size - half, &out);
    qga_out_free(&out);
    return 0;
}
