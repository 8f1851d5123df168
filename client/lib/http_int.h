/* HTTP helpers of the client (http.c). */
#ifndef MCPO_HTTP_INT_H
#define MCPO_HTTP_INT_H

#include <stdbool.h>

#include "client/lib/client_int.h"
#include "common/httpc.h"

/* One request with the client's timeouts. `headers` ("Name: value",
 * NULL-terminated) and `body` are borrowed and may be NULL. *resp is
 * filled (ac_http_response_free) whenever true is returned. */
bool http_request(struct mcpo_client *c, const char *method, const char *url,
                  const char *const *headers, const char *body,
                  struct ac_http_response *resp, struct ac_err *err);

/* A line on the -v trace ("* ..."); never pass secrets. */
void http_trace_note(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
