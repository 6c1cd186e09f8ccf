/* SPDX-License-Identifier: Apache-2.0 */
/* deskpool-guestd: main loop. Reads the QGA channel and the power button; the protocol
 * itself lives in qga_proto.c. */
#include "err.h"
#include "guestd.h"
#include "log.h"
#include "powerbtn.h"
#include "qga_proto.h"
#include "vport.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define VPORT_SYSFS "/sys/class/virtio-ports"
#define FIND_TIMEOUT_MS 10000
#define HUP_RETRY_MS 100 /* how often to look for a host client while none is connected */
#define WRITE_TIMEOUT_MS 5000

static void usage(FILE *f)
{
    fprintf(f, "usage: deskpool-guestd [--device PATH | --stdio] [--root DIR] [--sam PATH]\n"
               "                       [--users PATH] [--control PATH] [--no-power-button]\n"
               "                       [--log-level LEVEL]\n"
               "QEMU guest agent for deskpool templates. Without --device it uses the\n"
               "virtio-serial port named " QGA_PORT_NAME ".\n"
               "  --device PATH      channel to serve (a /dev/vportNpM or a tty)\n"
               "  --stdio            serve stdin/stdout (tests); exits at end of input\n"
               "  --root DIR         prefix for " GUESTD_SAM_PATH ", " GUESTD_USERS_PATH ",\n"
               "                     " GUESTD_HOSTNAME_PATH " (tests)\n"
               "  --sam PATH         SAM file written by guest-set-user-password\n"
               "  --users PATH       logged-in users file read by guest-get-users\n"
               "  --control PATH     the desktop server's control socket, for\n"
               "                     deskpool-logoff-user (default: 'control' next to --users)\n"
               "  --no-power-button  do not power off on the ACPI power button\n"
               "  --log-level L      error|warn|info|debug (default info)\n");
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes all of buf; gives up after WRITE_TIMEOUT_MS (nobody reading on the host). */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, WRITE_TIMEOUT_MS) > 0)
                continue;
            errno = ETIMEDOUT;
        }
        return -1;
    }
    return 0;
}

static void power_off(void)
{
    log_info("power button pressed: powering off");
    sync();
    reboot(RB_POWER_OFF);
    log_error("reboot(RB_POWER_OFF) failed: %s (guestd must run as root)", strerror(errno));
}

/* Opens the channel: --device, or the named virtio port once it shows up. */
static int open_channel(const char *device)
{
    char path[300];
    if (!device) {
        struct dp_err err = {0};
        for (int waited = 0;; waited += 100) {
            dp_err_clear(&err);
            if (vport_find(VPORT_SYSFS, QGA_PORT_NAME, path, sizeof path, &err) == 0)
                break;
            if (waited >= FIND_TIMEOUT_MS) {
                log_error("%s", dp_err_msg(&err));
                return -1;
            }
            sleep_ms(100);
        }
        device = path;
    }
    int fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        log_error("cannot open %s: %s", device, strerror(errno));
    else
        log_info("serving QGA on %s", device);
    return fd;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},
        {"stdio", no_argument, NULL, 's'},
        {"root", required_argument, NULL, 'r'},
        {"sam", required_argument, NULL, 'S'},
        {"users", required_argument, NULL, 'u'},
        {"control", required_argument, NULL, 'c'},
        {"no-power-button", no_argument, NULL, 'n'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *device = NULL, *root = NULL, *sam = NULL, *users = NULL, *control = NULL;
    int use_stdio = 0, watch_button = 1;
    enum dp_log_level level = DP_LOG_INFO;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            device = optarg;
            break;
        case 's':
            use_stdio = 1;
            break;
        case 'r':
            root = optarg;
            break;
        case 'S':
            sam = optarg;
            break;
        case 'u':
            users = optarg;
            break;
        case 'c':
            control = optarg;
            break;
        case 'n':
            watch_button = 0;
            break;
        case 'l':
            if (dp_log_level_parse(optarg, &level) != 0) {
                fprintf(stderr, "deskpool-guestd: --log-level %s: use error|warn|info|debug\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || (device && use_stdio)) {
        usage(stderr);
        return 2;
    }
    dp_log_init("deskpool-guestd", level, 0);

    static struct guestd_ctx ctx;
    struct dp_err err = {0};
    if (guestd_paths_init(&ctx.paths, root, &err) != 0) {
        log_error("%s", dp_err_msg(&err));
        return 2;
    }
    if (sam)
        snprintf(ctx.paths.sam, sizeof ctx.paths.sam, "%s", sam);
    if (users) {
        snprintf(ctx.paths.users, sizeof ctx.paths.users, "%s", users);
        if (guestd_control_beside(ctx.paths.control, ctx.paths.users, &err) != 0) {
            log_error("%s", dp_err_msg(&err));
            return 2;
        }
    }
    if (control)
        snprintf(ctx.paths.control, sizeof ctx.paths.control, "%s", control);
    guestd_sys_linux(&ctx.sys);

    int in_fd = 0, out_fd = 1;
    if (!use_stdio) {
        in_fd = out_fd = open_channel(device);
        if (in_fd < 0)
            return 1;
    }
    int btn[POWERBTN_MAX];
    int nbtn = watch_button && !use_stdio ? powerbtn_open("/dev/input", btn) : 0;

    static struct qga_conn conn;
    qga_conn_init(&conn, &ctx);
    struct qga_out out = {0};
    int host_gone = 0;
    for (;;) {
        struct pollfd p[1 + POWERBTN_MAX];
        for (int i = 0; i < nbtn; i++)
            p[i] = (struct pollfd){.fd = btn[i], .events = POLLIN};
        /* While no host client is connected the port polls as HUP forever: look again
         * every HUP_RETRY_MS instead of spinning. */
        int np = nbtn;
        if (!host_gone)
            p[np++] = (struct pollfd){.fd = in_fd, .events = POLLIN};
        int n = poll(p, (nfds_t)np, host_gone ? HUP_RETRY_MS : -1);
        if (n < 0 && errno != EINTR) {
            log_error("poll failed: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < nbtn; i++) {
            if ((p[i].revents & POLLIN) && powerbtn_pressed(btn[i]))
                power_off();
        }
        if (host_gone) {
            host_gone = 0;
            continue;
        }
        short rev = p[nbtn].revents;
        if (!rev)
            continue;
        uint8_t buf[4096];
        ssize_t r = read(in_fd, buf, sizeof buf);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            if (use_stdio)
                break;
            /* The host side closed (or was never opened): the next client starts fresh. */
            qga_conn_reset(&conn);
            host_gone = 1;
            continue;
        }
        if (qga_feed(&conn, buf, (size_t)r, &out) != 0) {
            log_error("out of memory building a reply; dropping it");
            qga_conn_reset(&conn);
        }
        if (out.len > 0 && write_all(out_fd, out.data, out.len) != 0)
            log_warn("cannot send a reply (%zu bytes): %s; the host will resync", out.len,
                     strerror(errno));
        out.len = 0;
    }
    qga_out_free(&out);
    return 0;
}
