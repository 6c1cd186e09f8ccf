/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_COOKIE_H
#define DESKPOOL_BROKER_COOKIE_H

/* The portal's session cookie: reading it from a Cookie header and writing Set-Cookie.
 * Pure functions over strings; unit-tested. */
#include <stddef.h>

#define PORTAL_COOKIE "deskpool_session"

/*
 * Finds cookie `name` in a Cookie request header ("a=1; b=2"; RFC 6265 5.4, optional
 * spaces, an optionally double-quoted value) and copies its value to out. The first one wins
 * (browsers send the most specific path first). Returns 0, or -1 if it is absent, empty,
 * holds characters no cookie value may hold, or does not fit in cap.
 */
int cookie_find(const char *header, const char *name, char *out, size_t cap);

/*
 * A Set-Cookie value for the session: Path=/, Max-Age, Secure, HttpOnly, SameSite=Strict.
 * An empty value with max_age 0 clears it (logout). 0, or -1 if it does not fit.
 */
int cookie_session_header(const char *value, int max_age, char *out, size_t cap);

#endif
