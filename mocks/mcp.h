/* A mock MCP server over Streamable HTTP (2025-11-25 wire), protected as an
 * OAuth resource server: RFC 9728 Protected Resource Metadata, RFC 6750
 * Bearer challenges (401 / 403 insufficient_scope) and token validation
 * against the world's token table (audience, issuer, expiry, revocation,
 * scope). See docs/MOCKS.md. */
#ifndef MO_MCP_H
#define MO_MCP_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

struct mo_httpd;
struct mo_mcp;
struct mo_shared;

/* Build the MCP server from the scenario's `mcp_server` object `conf`
 * (borrowed; may be NULL for all defaults) and bind it on 127.0.0.1:0;
 * it serves once mo_mcp_serve is called. Fills sh->resource and
 * sh->prm_url (the caller holds sh->lock or no other thread uses `sh`
 * yet). On success *out is new (mo_mcp_free). */
bool mo_mcp_start(const json_t *conf, struct mo_shared *sh, struct mo_mcp **out,
                  struct ac_err *err);

/* As mo_mcp_start for a server named `id` in the transcript and in events
 * (copied). Every MCP server of a world adds its resource to
 * sh->resources and accepts only tokens issued for it; only the one named
 * "mcp" (the scenario's `mcp_server`) fills sh->resource and sh->prm_url.
 * Extra servers (scenario `mcp_servers_extra`) are own origins, thus own
 * resources, trusting the same authorization servers. */
bool mo_mcp_start_as(const json_t *conf, const char *id, struct mo_shared *sh,
                     struct mo_mcp **out, struct ac_err *err);

/* Start serving (after other servers' routes were added to its httpd). */
bool mo_mcp_serve(struct mo_mcp *m, struct ac_err *err);

/* Its HTTP server, borrowed: an AS of the 2025-03-26 topology adds its
 * routes there before mo_mcp_serve. */
struct mo_httpd *mo_mcp_httpd(struct mo_mcp *m);

/* The MCP endpoint URL, borrowed until mo_mcp_free. */
const char *mo_mcp_url(const struct mo_mcp *m);

/* Its name ("mcp" or an extra server's id), borrowed until mo_mcp_free. */
const char *mo_mcp_id(const struct mo_mcp *m);

/* Forget every session (a restarted server); caller holds the lock. */
void mo_mcp_forget_sessions(struct mo_mcp *m);

/* Stop and free. NULL-safe. */
void mo_mcp_free(struct mo_mcp *m);

#endif
