/* Reading one exchange of a mock world's transcript (the JSON the mocks
 * record: "method", "query", "request": {"headers", "body"}, ...). Only
 * Jansson and common/: every test program links it. */
#ifndef TEST_SUPPORT_TRANSCRIPT_H
#define TEST_SUPPORT_TRANSCRIPT_H

#include <jansson.h>

/* The first request header `name` (case-insensitive) of exchange `x`,
 * borrowed from x; NULL when absent. */
const char *ts_req_header(const json_t *x, const char *name);

/* Parameter `name` of exchange `x`: from its query for a GET, else from
 * its form body. A new string (free) or NULL. */
char *ts_req_param(const json_t *x, const char *name);

#endif
