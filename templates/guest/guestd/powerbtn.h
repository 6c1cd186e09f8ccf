/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_POWERBTN_H
#define DESKPOOL_GUESTD_POWERBTN_H

/*
 * QMP system_powerdown presses the ACPI power button; the guest kernel (button.ko +
 * evdev.ko) reports it as KEY_POWER on an input device. Without something watching it
 * nothing happens, so guestd watches it (the tiny guest has no acpid or logind).
 */
#define POWERBTN_MAX 8

/* Opens every /dev/input/event* that can send KEY_POWER; returns how many (fds filled). */
int powerbtn_open(const char *dir, int fds[POWERBTN_MAX]);
/* Reads pending events from fd; returns 1 when the power button was pressed. */
int powerbtn_pressed(int fd);

#endif
