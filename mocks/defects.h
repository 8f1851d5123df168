/* Defect profiles: named, deliberate violations of the OAuth / MCP
 * specifications that the mock servers can be started with, so that every
 * server-side conformance check (`authcheck server`, harness/server.h) is
 * shown failing against a server that has exactly that bug
 * (docs/SERVER.md "Defect profiles").
 *
 * A profile is applied to a scenario document before the world starts:
 * either as rules appended to the scenario's (the rules engine already
 * patches answers), as a configuration change (refresh mode, PRM
 * location), or as a flag in the configuration of every authorization
 * server and MCP server ("defects": [NAME]) that the handlers test with
 * small if()s. */
#ifndef MO_DEFECTS_H
#define MO_DEFECTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

/* Flags the handlers test (mo_as.defects, mo_mcp.defects). */
enum mo_defect_flag {
    MO_DEF_PKCE_OPTIONAL = 1u << 0,       /* no code_challenge: still a code */
    MO_DEF_PKCE_PLAIN = 1u << 1,          /* code_challenge_method=plain ok */
    MO_DEF_VERIFIER_UNCHECKED = 1u << 2,  /* any code_verifier redeems */
    MO_DEF_REDIRECT_PREFIX = 1u << 3,     /* redirect_uri prefix match */
    MO_DEF_CODE_REUSABLE = 1u << 4,       /* codes redeem more than once */
    MO_DEF_REPLAY_KEEPS_TOKENS = 1u << 5, /* replay rejected, grant kept */
    MO_DEF_CODE_UNBOUND = 1u << 6,        /* code not bound to client and
                                             redirect URI */
    MO_DEF_RESOURCE_UNCHECKED = 1u << 7,  /* any `resource` accepted */
    MO_DEF_REFRESH_REUSE = 1u << 8,       /* a rotated refresh token works */
    MO_DEF_REFRESH_NO_REVOKE = 1u << 9,   /* reuse rejected, family kept */
    MO_DEF_REFRESH_WIDEN = 1u << 10,      /* refresh may widen the scope */
    MO_DEF_DCR_LAX = 1u << 11,            /* any redirect URI, any grant */
    MO_DEF_MCP_ANY_AUDIENCE = 1u << 12,   /* tokens for any resource */
    MO_DEF_MCP_QUERY_TOKEN = 1u << 13,    /* ?access_token= accepted */
    MO_DEF_MCP_IGNORE_REVOKED = 1u << 14, /* revoked tokens accepted */
    MO_DEF_MCP_ACCEPT_EXPIRED = 1u << 15, /* expired tokens accepted */
    MO_DEF_DPOP_BEARER_OK = 1u << 16,     /* DPoP-bound token as Bearer */
    MO_DEF_DPOP_ATH_UNCHECKED = 1u << 17, /* proof without ath accepted */
    MO_DEF_CIMD_BROKEN = 1u << 18,        /* fetched documents refused */
    MO_DEF_CIMD_ID_UNCHECKED = 1u << 19,  /* document client_id unchecked */
    MO_DEF_CIMD_SSRF = 1u << 20,          /* redirects followed, special-use
                                             addresses fetched */
    MO_DEF_CC_REFRESH = 1u << 21,         /* client_credentials issues a
                                             refresh token */
};

/* The flags a server configuration object carries in its "defects" array
 * (unknown names ignored). `conf` borrowed, may be NULL. */
unsigned mo_defect_flags(const json_t *conf);

/* The number of profiles, and the name and one-line summary of the i-th
 * (borrowed static strings, NULL past the end). */
size_t mo_defect_count(void);
const char *mo_defect_name(size_t i);
const char *mo_defect_summary(size_t i);

/* Is `name` a known profile? */
bool mo_defect_known(const char *name);

/* A new scenario document: `scenario` (borrowed) with profile `name`
 * applied (rules appended after the scenario's, configuration changed,
 * flags set on every authorization server and MCP server). NULL with
 * err (AC_ERR_INVALID) for an unknown name, AC_ERR_NOMEM. */
json_t *mo_defect_apply(const json_t *scenario, const char *name,
                        struct ac_err *err);

#endif
