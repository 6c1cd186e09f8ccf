/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DESKPOOL_CLI_HTTP_UNIX_H
#define DESKPOOL_CLI_HTTP_UNIX_H

/*
 * One HTTP/1.1 request per connection over a unix socket (deskpoold's admin listener), within
 * a deadline. The messages themselves (request head, response parser) are dp_client's http.h.
 */
#include "http.h"

/*
 * Sends req to the HTTP server on the unix socket at socket_path and reads its response,
 * all within timeout_ms. Returns an enum http_result; on HTTP_OK resp is filled.
 */
int http_unix_request(const char *socket_path, const struct http_request *req, int timeout_ms,
                      http_tick_fn tick, void *tick_arg, struct http_response *resp,
                      struct dp_err *err);

#endif
