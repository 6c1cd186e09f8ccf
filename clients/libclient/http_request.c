/* SPDX-License-Identifier: Apache-2.0 */
/* The head of an HTTP/1.1 request (see http.h). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value with CR or LF would end the header early and let the rest become a new one. */
static int header_safe(const char *s)
{
    return !s || strpbrk(s, "\r\n") == NULL;
}

char *http_format_head(const struct http_request *req, const char *host, const char *bearer,
                       const char *agent, size_t *len)
{
    if (!header_safe(req->method) || !header_safe(req->target) || !header_safe(host) ||
        !header_safe(bearer) || !header_safe(agent) || strchr(req->target, ' '))
        return NULL;
    int has_body = req->body != NULL || strcmp(req->method, "POST") == 0 ||
                   strcmp(req->method, "PUT") == 0 || strcmp(req->method, "PATCH") == 0;
    char body_headers[96] = "";
    if (has_body)
        snprintf(body_headers, sizeof body_headers,
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 req->body ? req->body_len : 0);
    char *head = NULL;
    int n = asprintf(&head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
                     "Accept: application/json\r\nConnection: close\r\n%s%s%s%s\r\n",
                     req->method, req->target, host ? host : "deskpoold", agent,
                     bearer ? "Authorization: Bearer " : "", bearer ? bearer : "",
                     bearer ? "\r\n" : "", body_headers);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return head;
}
