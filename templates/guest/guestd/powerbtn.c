/* SPDX-License-Identifier: Apache-2.0 */
#include "powerbtn.h"
#include "log.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int has_key_power(int fd)
{
    unsigned long bits[KEY_MAX / (8 * sizeof(unsigned long)) + 1];
    memset(bits, 0, sizeof bits);
    if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof bits), bits) < 0)
        return 0;
    size_t per = 8 * sizeof(unsigned long);
    return (bits[KEY_POWER / per] >> (KEY_POWER % per)) & 1;
}

int powerbtn_open(const char *dir, int fds[POWERBTN_MAX])
{
    DIR *d = opendir(dir);
    if (!d) {
        log_warn("cannot list %s: system_powerdown will not work (load evdev.ko)", dir);
        return 0;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < POWERBTN_MAX) {
        if (strncmp(de->d_name, "event", 5) != 0)
            continue;
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (has_key_power(fd)) {
            log_debug("watching %s for the power button", path);
            fds[n++] = fd;
        } else {
            close(fd);
        }
    }
    closedir(d);
    if (n == 0)
        log_warn("no input device sends KEY_POWER: system_powerdown will not work "
                 "(load button.ko and evdev.ko)");
    return n;
}

int powerbtn_pressed(int fd)
{
    struct input_event ev[16];
    ssize_t n;
    int pressed = 0;
    while ((n = read(fd, ev, sizeof ev)) > 0) {
        for (size_t i = 0; i < (size_t)n / sizeof ev[0]; i++) {
            if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
                pressed = 1;
        }
    }
    return pressed;
}
