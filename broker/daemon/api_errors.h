/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_BROKER_API_ERRORS_H
#define DESKPOOL_BROKER_API_ERRORS_H

/* How errors look on the wire (docs/API.md): pure mappings, unit-tested. */

/* The HTTP status for a store code (store/db.h): not found 404, exists or conflict 409,
 * invalid 400, denied 403, I/O and anything unknown 500. DB_OK is 200. */
int api_status_for_db(int rc);

/* The error code string for an HTTP status ("not_found", "conflict", ...); "internal" for
 * any status the API does not use. */
const char *api_code_for_status(int status);

#endif
