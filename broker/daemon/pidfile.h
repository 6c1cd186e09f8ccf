/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_PIDFILE_H
#define DESKPOOL_BROKER_PIDFILE_H

struct dp_err;

/* Writes this process's pid to path, holding a lock on it for the process's life, so a
 * second deskpoold refuses to start (naming the first one's pid). Returns the open fd. */
int pidfile_open(const char *path, struct dp_err *err);

/* Removes the pidfile and releases the lock. */
void pidfile_close(int fd, const char *path);

#endif
