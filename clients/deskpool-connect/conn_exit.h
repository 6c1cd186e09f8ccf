/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CONNECT_EXIT_H
#define DESKPOOL_CONNECT_EXIT_H

/* The exit status for a broker's HTTP status (2xx: CONN_OK). Pure. */
int conn_exit_for_status(int status);
/* The exit status for a transport failure (enum http_result). Pure. */
int conn_exit_for_transport(int http_result);

#endif
