/* SPDX-License-Identifier: Apache-2.0 */
/* The real effects of guestd's commands on a Linux guest. */
#include "err.h"
#include "guestd.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/random.h>
#include <linux/rtc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int linux_power(void *opaque, enum guestd_power mode, struct dp_err *err)
{
    (void)opaque;
    /* No init to ask: nothing in the tiny guest needs an orderly stop beyond the disk. */
    sync();
    int cmd = mode == GUESTD_REBOOT ? RB_AUTOBOOT
              : mode == GUESTD_HALT ? RB_HALT_SYSTEM
                                    : RB_POWER_OFF;
    reboot(cmd);
    dp_err_errno(err, "reboot(2) failed (guestd must run as root)");
    return -1;
}

/* Copies the system clock into the RTC, so a later boot or set-time without "time" keeps
 * it. Best effort: a guest without an RTC still has the right system time. */
static void write_rtc(void)
{
    int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    struct rtc_time rt = {.tm_sec = tm.tm_sec,
                          .tm_min = tm.tm_min,
                          .tm_hour = tm.tm_hour,
                          .tm_mday = tm.tm_mday,
                          .tm_mon = tm.tm_mon,
                          .tm_year = tm.tm_year};
    if (ioctl(fd, RTC_SET_TIME, &rt) != 0)
        log_debug("cannot set the RTC: %s", strerror(errno));
    close(fd);
}

static int linux_set_time(void *opaque, int has_ns, int64_t ns, struct dp_err *err)
{
    (void)opaque;
    struct timeval tv;
    if (has_ns) {
        tv.tv_sec = (time_t)(ns / 1000000000);
        tv.tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
    } else {
        int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC);
        struct rtc_time rt;
        if (fd < 0 || ioctl(fd, RTC_RD_TIME, &rt) != 0) {
            dp_err_errno(err, "cannot read the RTC /dev/rtc0; pass \"time\" (ns since the "
                              "epoch) instead");
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
        struct tm tm = {.tm_sec = rt.tm_sec,
                        .tm_min = rt.tm_min,
                        .tm_hour = rt.tm_hour,
                        .tm_mday = rt.tm_mday,
                        .tm_mon = rt.tm_mon,
                        .tm_year = rt.tm_year};
        tv.tv_sec = timegm(&tm);
        tv.tv_usec = 0;
    }
    if (settimeofday(&tv, NULL) != 0) {
        dp_err_errno(err, "settimeofday failed (guestd must run as root)");
        return -1;
    }
    if (has_ns)
        write_rtc();
    return 0;
}

static int linux_set_hostname(void *opaque, const char *name, struct dp_err *err)
{
    (void)opaque;
    if (sethostname(name, strlen(name)) != 0) {
        dp_err_errno(err, "sethostname(%s) failed (guestd must run as root)", name);
        return -1;
    }
    return 0;
}

static int linux_add_entropy(void *opaque, const uint8_t *buf, size_t n, struct dp_err *err)
{
    (void)opaque;
    /* RNDADDENTROPY credits the bytes (a plain write to /dev/urandom would mix them in
     * without credit); RNDRESEEDCRNG makes the next read use them, not in up to a minute. */
    /* rand_pool_info ends in a flexible array: the bytes follow it in one buffer (a struct
     * member after it is a GNU extension that clang's -Werror refuses). */
    union {
        struct rand_pool_info info;
        uint8_t raw[sizeof(struct rand_pool_info) + GUESTD_ENTROPY_MAX];
    } req;
    if (n > GUESTD_ENTROPY_MAX) {
        dp_err_set(err, "at most %d bytes of entropy at once", GUESTD_ENTROPY_MAX);
        return -1;
    }
    req.info.entropy_count = (int)(n * 8);
    req.info.buf_size = (int)n;
    memcpy(req.raw + offsetof(struct rand_pool_info, buf), buf, n);
    int fd = open("/dev/random", O_WRONLY | O_CLOEXEC);
    int rc = -1;
    if (fd < 0)
        dp_err_errno(err, "cannot open /dev/random");
    else if (ioctl(fd, RNDADDENTROPY, &req) != 0)
        dp_err_errno(err, "RNDADDENTROPY failed (guestd must run as root)");
    else if (ioctl(fd, RNDRESEEDCRNG) != 0)
        dp_err_errno(err, "RNDRESEEDCRNG failed (kernel older than 4.17?)");
    else
        rc = 0;
    if (fd >= 0)
        close(fd);
    explicit_bzero(&req, sizeof req);
    return rc;
}

/* The interface entry named `name` in list, created (in getifaddrs order) if missing. */
static json_t *iface_entry(json_t *list, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    e = json_pack("{s:s,s:[]}", "name", name, "ip-addresses");
    if (e)
        json_array_append_new(list, e);
    return e;
}

static int prefix_len(const uint8_t *mask, size_t n)
{
    int bits = 0;
    for (size_t i = 0; i < n; i++)
        bits += __builtin_popcount(mask[i]);
    return bits;
}

static json_t *linux_interfaces(void *opaque, struct dp_err *err)
{
    (void)opaque;
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0) {
        dp_err_errno(err, "getifaddrs failed");
        return NULL;
    }
    json_t *list = json_array();
    for (struct ifaddrs *p = ifa; p && list; p = p->ifa_next) {
        if (!p->ifa_name || !p->ifa_addr)
            continue;
        json_t *e = iface_entry(list, p->ifa_name);
        if (!e)
            break;
        int family = p->ifa_addr->sa_family;
        char text[INET6_ADDRSTRLEN];
        if (family == AF_PACKET) {
            const struct sockaddr_ll *ll = (const struct sockaddr_ll *)p->ifa_addr;
            char mac[3 * 8] = "";
            size_t n = ll->sll_halen < 8 ? ll->sll_halen : 8;
            for (size_t i = 0; i < n; i++)
                snprintf(mac + strlen(mac), sizeof mac - strlen(mac), i ? ":%02x" : "%02x",
                         ll->sll_addr[i]);
            if (n == 6)
                json_object_set_new(e, "hardware-address", json_string(mac));
            else if (p->ifa_flags & IFF_LOOPBACK)
                json_object_set_new(e, "hardware-address", json_string("00:00:00:00:00:00"));
        } else if (family == AF_INET || family == AF_INET6) {
            const void *addr, *mask = NULL;
            size_t alen;
            if (family == AF_INET) {
                addr = &((const struct sockaddr_in *)p->ifa_addr)->sin_addr;
                if (p->ifa_netmask)
                    mask = &((const struct sockaddr_in *)p->ifa_netmask)->sin_addr;
                alen = 4;
            } else {
                addr = &((const struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
                if (p->ifa_netmask)
                    mask = &((const struct sockaddr_in6 *)p->ifa_netmask)->sin6_addr;
                alen = 16;
            }
            if (!inet_ntop(family, addr, text, sizeof text))
                continue;
            json_t *ip =
                json_pack("{s:s,s:s,s:i}", "ip-address-type", family == AF_INET ? "ipv4" : "ipv6",
                          "ip-address", text, "prefix", mask ? prefix_len(mask, alen) : 0);
            json_array_append_new(json_object_get(e, "ip-addresses"), ip);
        }
    }
    freeifaddrs(ifa);
    if (!list)
        dp_err_set(err, "out of memory listing interfaces");
    return list;
}

void guestd_sys_linux(struct guestd_sys *sys)
{
    sys->power = linux_power;
    sys->set_time = linux_set_time;
    sys->set_hostname = linux_set_hostname;
    sys->interfaces = linux_interfaces;
    sys->opaque = NULL;
    sys->add_entropy = linux_add_entropy;
}
