/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_GUESTD_H
#define DESKPOOL_GUESTD_H

/*
 * deskpool-guestd: the guest agent of deskpool templates. It speaks the QEMU guest agent
 * (QGA) wire protocol, so the broker's QGA client works the same against it and against
 * qemu-ga in a Windows or full Linux template.
 *
 * Everything that changes the machine (power, clock, host name, reading interfaces) goes
 * through `struct guestd_sys`, so the protocol core can run in unit tests and under the
 * fuzzer without rebooting anything. Files go to the paths in `struct guestd_paths`,
 * which tests point into a temporary folder.
 */
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct dp_err;

enum guestd_power { GUESTD_POWERDOWN, GUESTD_HALT, GUESTD_REBOOT };

struct guestd_sys {
    /* Syncs and powers off / halts / reboots. Does not return on success (a test stub may). */
    int (*power)(void *opaque, enum guestd_power mode, struct dp_err *err);
    /* Sets the clock to ns since the epoch, or from the RTC when has_ns is 0. */
    int (*set_time)(void *opaque, int has_ns, int64_t ns, struct dp_err *err);
    /* Sets the kernel's host name (the file is written by the caller). */
    int (*set_hostname)(void *opaque, const char *name, struct dp_err *err);
    /* Returns the guest-network-get-interfaces array (new reference) or NULL + err. */
    json_t *(*interfaces)(void *opaque, struct dp_err *err);
    void *opaque;
    /* Mixes n bytes from the host into the kernel's entropy pool, credited, and reseeds the
     * kernel RNG at once. Last so positional initialisers of test stubs stay valid; NULL:
     * deskpool-add-entropy says it is not supported here. */
    int (*add_entropy)(void *opaque, const uint8_t *buf, size_t n, struct dp_err *err);
};

struct guestd_paths {
    char sam[PATH_MAX];      /* FreeRDP SAM file: user:domain:LM:NT::: (NT hash only) */
    char users[PATH_MAX];    /* written by the desktop server: USER\tDOMAIN\tLOGIN_EPOCH... */
    char control[PATH_MAX];  /* the desktop server's control socket (deskpool-logoff-user) */
    char hostname[PATH_MAX]; /* /etc/hostname */
};

struct guestd_ctx {
    struct guestd_paths paths;
    struct guestd_sys sys;
};

#define GUESTD_SAM_PATH "/var/lib/deskpool/sam"
#define GUESTD_USERS_PATH "/run/deskpool/users"
#define GUESTD_HOSTNAME_PATH "/etc/hostname"
#define GUESTD_CONTROL_NAME "control" /* next to the users file */
/* deskpool-add-entropy: bytes per call (the host sends 64). */
#define GUESTD_ENTROPY_MIN 16
#define GUESTD_ENTROPY_MAX 512

/* Fills paths with the defaults under root ("" or "/" for the real ones). -1 if too long. */
int guestd_paths_init(struct guestd_paths *paths, const char *root, struct dp_err *err);

/* out = the control socket next to the users file at users (the desktop server's default).
 * -1 if too long. */
int guestd_control_beside(char out[PATH_MAX], const char *users, struct dp_err *err);

/* The real Linux implementations of struct guestd_sys (sys_linux.c). */
void guestd_sys_linux(struct guestd_sys *sys);

#endif
