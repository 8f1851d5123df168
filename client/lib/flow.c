/* The order of things: an MCP request, a 401, discovery, registration,
 * authorization, and the retried MCP request. */
#include <stdlib.h>
#include <string.h>

#include "client/lib/client_int.h"
#include "client/lib/http_int.h"

bool flow_check(struct mcpo_client *c, bool *required, struct ac_err *err)
{
    enum mcp_status st;
    *required = false;
    if (!mcp_initialize(c, &st, err)) {
        return false;
    }
    *required = st == MCP_UNAUTHORIZED;
    return true;
}

bool flow_login(struct mcpo_client *c, struct ac_err *err)
{
    if (!c->chal.seen && !c->initialized) {
        bool required;
        if (!flow_check(c, &required, err)) {
            return false;
        }
        if (!required) {
            http_trace_note("the MCP server did not ask for authorization");
            return true;
        }
    }
    return discovery_prm(c, err) && discovery_as(c, err) &&
           registration_run(c, err) && authorize_run(c, err);
}

bool flow_connect(struct mcpo_client *c, struct ac_err *err)
{
    enum mcp_status st;
    if (c->initialized) {
        return true;
    }
    if (!mcp_initialize(c, &st, err)) {
        return false;
    }
    if (st == MCP_OK) {
        return true;
    }
    if (c->access_token != NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the MCP server rejected the access token with 401");
        return false;
    }
    if (!flow_login(c, err) || !mcp_initialize(c, &st, err)) {
        return false;
    }
    if (st != MCP_OK) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the MCP server answered 401 to the freshly issued access "
               "token");
        return false;
    }
    return true;
}
