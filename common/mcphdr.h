/* Request metadata headers of the 2026-07-28 Streamable HTTP transport,
 * one copy for the client (which sends them), the mock MCP server (which
 * validates them) and the checks (which judge what a client sent):
 * - the value encoding of Mcp-Name and Mcp-Param-{Name}: plain visible
 *   ASCII, else the "=?base64?<Base64 of the UTF-8 bytes>?=" sentinel form;
 * - how a header value carries a JSON argument (string as is, integer as
 *   its decimal text, boolean as "true" / "false");
 * - the x-mcp-header annotations of a tool's inputSchema: their validation
 *   and the Mcp-Param-{Name} lines a tools/call needs. */
#ifndef AC_MCPHDR_H
#define AC_MCPHDR_H

#include <jansson.h>
#include <stdbool.h>

/* A header value: `value` itself when it is plain visible ASCII without
 * leading/trailing whitespace, else "=?base64?<Base64 of UTF-8>?=". A new
 * string, or NULL when out of memory. */
char *ac_mcphdr_encode(const char *value);

/* The text a received header value carries: the value itself, or decoded
 * from the sentinel form. A new string, or NULL when the sentinel's Base64
 * does not decode (or out of memory). */
char *ac_mcphdr_decode(const char *value);

/* Is `v` a well-formed field value (RFC 9110 §5.5: visible ASCII, space
 * and tab only)? */
bool ac_mcphdr_chars_ok(const char *v);

/* Does the decoded header text `h` carry the JSON argument `v` (a string,
 * integer or boolean; integers compared numerically, so "42.0" is 42)? */
bool ac_mcphdr_matches(const char *h, const json_t *v);

/* The x-mcp-header annotations of `tool`'s inputSchema: a new array of
 * {"name", "path": [property keys]}, or NULL with *why (a static string)
 * when the tool definition is invalid (Streamable HTTP: exclude it from
 * tools/list). */
json_t *ac_mcphdr_annotations(const json_t *tool, const char **why);

/* The "Mcp-Param-Name: value" lines a tools/call of `tool` with `args`
 * needs (values present and not null, encoded): a new array of strings,
 * NULL for an invalid tool. */
json_t *ac_mcphdr_params(const json_t *tool, const json_t *args);

#endif
