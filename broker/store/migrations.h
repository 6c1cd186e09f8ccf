/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_MIGRATIONS_H
#define DESKPOOL_BROKER_MIGRATIONS_H

/*
 * The schema's history: migrations[i] takes a database from version i to version i + 1.
 * Entries are only ever appended; a shipped entry is never edited, because databases out
 * there were built by it.
 */
struct migration {
    const char *what; /* one line, for logs and error messages */
    const char *sql;  /* one or more statements */
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
