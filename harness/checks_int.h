/* Private to the check registry: helpers shared by the check families
 * (checks.c, checks_util.c, checks_<topic>.c) and the check functions
 * the registry table in registry.c lists. Not for use outside harness/. */
#ifndef HC_CHECKS_INT_H
#define HC_CHECKS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "common/form.h"
#include "harness/checks.h"

/* --- verdicts (checks.c) --------------------------------------------- */

/* Set status and a printf-formatted one-line message. */
void hc_verdict(struct hc_result *out, enum hc_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record transcript index `idx` (its seq) as evidence; duplicates and
 * overflow are dropped. */
void hc_evidence(struct hc_result *out, const json_t *tr, size_t idx);

/* The seq of the exchange at index `idx`. */
size_t hc_seq_of(const json_t *tr, size_t idx);

/* The scenario's `client` object (borrowed, may be NULL). */
const json_t *hc_scenario_client(const struct hc_input *in);

/* client.expect == "refuse"? */
bool hc_expects_refusal(const struct hc_input *in);

/* A fact the check needs is missing: SKIPPED with the fact as the reason
 * (a key check then fails through hc_require_exercised). `hc_missing` says "no
 * WHAT was made". */
void hc_missing_fact(const struct hc_input *in, struct hc_result *out,
                     const char *fact);
void hc_missing(const struct hc_input *in, struct hc_result *out,
                const char *what);

/* Something the client should have done after reaching the point and did
 * not (it never revoked at logout, never sent notifications/initialized):
 * a violation, FAILURE; SKIPPED when the scenario expects refusal. */
void hc_required_fact(const struct hc_input *in, struct hc_result *out,
                      const char *fact);

/* A query or body that does not parse is a FAILURE finding. */
void hc_malformed(struct hc_result *out, const char *what, size_t seq,
                  const struct ac_err *e);

/* Does some authorization server of the scenario list `how` in its
 * `registration`? */
bool hc_scenario_offers(const struct hc_input *in, const char *how);

/* --- shared queries (checks_util.c) ---------------------------------- */

/* The parsed body (a new reference) of the first 200 response to a GET
 * on `prm` (Protected Resource Metadata), or NULL. */
json_t *hc_prm_doc(const json_t *tr);

/* The parsed body (a new reference) of the last 200 answer of server
 * `server` to a metadata / oidc GET at an index < `before`, or NULL. */
json_t *hc_as_metadata(const json_t *tr, const char *server, size_t before);

/* The token request at index `i`: its body form (initialised here, free
 * with ac_form_free even on failure); false when it does not parse. */
bool hc_token_form(const json_t *tr, size_t i, struct ac_form *f);

/* Member `key` of the JSON response body of exchange `ex`, as a new string
 * (free()), or NULL. */
char *hc_resp_member(const json_t *ex, const char *key);

/* The client_id a token / revoke request authenticates as: the body's
 * client_id, else the Basic user. A new string or NULL. */
char *hc_request_client_id(const json_t *ex, const struct ac_form *body);

/* The bearer token of a request (Authorization: Bearer), a new string or
 * NULL. */
char *hc_bearer_of(const json_t *ex);

/* The parsed query of the Location of an authorization response (302);
 * `loc` is initialised here (free with ac_form_free); false when there is
 * no Location or it does not parse. */
bool hc_authz_response(const json_t *ex, struct ac_form *loc);

/* Index of the authorization request whose response (3xx Location)
 * issued `code`, or TQ_NONE. */
size_t hc_issued_by(const json_t *tr, const char *code);

/* Index of the token request at index >= `from` that redeems `code`, or
 * TQ_NONE. */
size_t hc_redeemed_at(const json_t *tr, size_t from, const char *code);

/* Number of exchanges matching endpoint/method (method may be NULL). */
size_t hc_count(const json_t *tr, const char *endpoint, const char *method);

/* The scenario's mcp_server.wire ("2025-11-25" when absent). */
const char *hc_wire(const struct hc_input *in);

/* The MCP revision the client speaks, as it told the MCP server: the
 * protocolVersion of its first initialize request, else the
 * MCP-Protocol-Version header of its first MCP request. Copied into
 * buf (size n); false when the client sent neither. A requirement new in
 * a revision applies only to a client speaking that revision or later. */
bool hc_client_revision(const json_t *tr, char *buf, size_t n);

/* Append the access token of exchange `ex`, a successful token response,
 * to the JSON array `issued`. */
void hc_collect_token(const json_t *ex, json_t *issued);

/* A predicate over one authorization request (transcript index `i`) and
 * its query `q`: returns true when the request meets the requirement,
 * else writes why into `why`. */
typedef bool (*hc_authz_pred_fn)(const struct hc_input *in, size_t i,
                                 const struct ac_form *q, char *why, size_t n);

/* Apply `pred` to every authorization request; the first violation fails
 * the check. `what` completes "all N authorization request(s) ...". */
void hc_every_authz(const struct hc_input *in, struct hc_result *out,
                    hc_authz_pred_fn pred, const char *what);

/* --- the check functions, by family ------------------------------------ */

#define HC_DECL(name)                                                          \
    void name(const struct hc_input *in, struct hc_result *out)

/* the core flow checks, by file */
HC_DECL(hc_check_prm_fetched);               /* checks_discovery.c */
HC_DECL(hc_check_as_metadata_fetched);       /* checks_discovery.c */
HC_DECL(hc_check_client_registered);         /* checks_registration.c */
HC_DECL(hc_check_code_challenge_sent);       /* checks_pkce.c */
HC_DECL(hc_check_s256_method_used);          /* checks_pkce.c */
HC_DECL(hc_check_verifier_sent);             /* checks_pkce.c */
HC_DECL(hc_check_verifier_matches);          /* checks_pkce.c */
HC_DECL(hc_check_state_roundtrip);           /* checks_authz.c */
HC_DECL(hc_check_resource_in_authorization); /* checks_resource.c */
HC_DECL(hc_check_resource_in_token);         /* checks_resource.c */
HC_DECL(hc_check_bearer_header_used);        /* checks_tokens.c */
HC_DECL(hc_check_mcp_call_succeeded);        /* checks_mcp.c */
HC_DECL(hc_check_mcp_authenticated_request); /* checks_mcp.c */
HC_DECL(hc_check_client_exit_status);        /* checks_client.c */

/* checks_dpop.c */
HC_DECL(hc_check_dpop_token_proof);
HC_DECL(hc_check_dpop_scheme);
HC_DECL(hc_check_dpop_fresh_proof);
HC_DECL(hc_check_dpop_ath);
HC_DECL(hc_check_dpop_content_digest);
HC_DECL(hc_check_dpop_as_nonce);
HC_DECL(hc_check_dpop_rs_nonce);
HC_DECL(hc_check_dpop_key_binding);

/* checks_tls.c */
HC_DECL(hc_check_tls_as_cert_wrong_name_refused);
HC_DECL(hc_check_tls_as_cert_expired_refused);
HC_DECL(hc_check_tls_as_cert_untrusted_ca_refused);
HC_DECL(hc_check_tls_http_endpoint_refused);
HC_DECL(hc_check_tls_downgrade_redirect_refused);
/* checks_wif.c, checks_ema.c (MCP authorization extensions: workload
 * identity federation, enterprise-managed authorization) */
HC_DECL(hc_check_wif_grant_type);
HC_DECL(hc_check_wif_assertion_audience);
HC_DECL(hc_check_wif_assertion_fresh);
HC_DECL(hc_check_wif_no_blind_retry);
HC_DECL(hc_check_wif_no_code_fallback);
HC_DECL(hc_check_ema_token_exchange);
HC_DECL(hc_check_ema_jag_audience);
HC_DECL(hc_check_ema_jag_expiry);
HC_DECL(hc_check_ema_no_fallback);
/* Shared by the two: does the JWT `assertion` of AS token request `i`
 * name that AS in aud (token endpoint URL, issuer, issuer + "/")? Was
 * the answer of `ex` invalid_grant for an expired assertion? The first
 * registration, authorization request or authorization_code grant. */
bool hc_assertion_aud_ok(const json_t *tr, size_t i, const char *assertion);
bool hc_answer_says_expired(const json_t *ex);
size_t hc_user_grant_at(const json_t *tr);

/* checks_discovery.c */
HC_DECL(hc_check_prm_header_url_used);
HC_DECL(hc_check_prm_path_before_root);
HC_DECL(hc_check_as_metadata_order);
HC_DECL(hc_check_as_metadata_fallback);
HC_DECL(hc_check_issuer_mismatch_rejected);
HC_DECL(hc_check_s256_support_required);
HC_DECL(hc_check_prm_resource_mismatch_rejected);
HC_DECL(hc_check_legacy_root_metadata);
HC_DECL(hc_check_legacy_default_endpoints);

/* checks_registration.c */
HC_DECL(hc_check_dcr_application_type);
HC_DECL(hc_check_dcr_redirect_uris_loopback);
HC_DECL(hc_check_dcr_grant_types_refresh);
HC_DECL(hc_check_dcr_auth_method_supported);
HC_DECL(hc_check_registration_priority);
HC_DECL(hc_check_cimd_client_id_used);
HC_DECL(hc_check_token_endpoint_auth_method);
HC_DECL(hc_check_private_key_jwt_claims);
HC_DECL(hc_check_client_credentials_grant);
HC_DECL(hc_check_no_cross_as_credential_reuse);
HC_DECL(hc_check_reregister_on_as_change);
HC_DECL(hc_check_stale_client_reregistered);
HC_DECL(hc_check_registration_reused);

/* checks_authz.c */
HC_DECL(hc_check_iss_compare_supported);
HC_DECL(hc_check_iss_reject_missing);
HC_DECL(hc_check_iss_compare_unadvertised);
HC_DECL(hc_check_iss_proceed_absent);
HC_DECL(hc_check_state_mismatch_rejected);
HC_DECL(hc_check_redirect_uri_consistent);
HC_DECL(hc_check_redirect_uri_loopback_ip);
HC_DECL(hc_check_redirect_uri_registered);
HC_DECL(hc_check_code_single_use);
HC_DECL(hc_check_authorization_error_handled);

/* checks_scope.c */
HC_DECL(hc_check_scope_from_challenge);
HC_DECL(hc_check_scope_from_scopes_supported);
HC_DECL(hc_check_scope_omitted_when_undefined);
HC_DECL(hc_check_scope_step_up_escalation);
HC_DECL(hc_check_scope_retry_limit);
HC_DECL(hc_check_offline_access_not_requested);
HC_DECL(hc_check_offline_access_requested);

/* checks_tokens.c */
HC_DECL(hc_check_refresh_before_reauthorization);
HC_DECL(hc_check_refresh_token_rotation);
HC_DECL(hc_check_refresh_scope_not_widened);
HC_DECL(hc_check_invalid_grant_reauthorize_once);
HC_DECL(hc_check_refresh_5xx_keeps_credentials);
HC_DECL(hc_check_refresh_proactive);
HC_DECL(hc_check_no_reauthorization);
HC_DECL(hc_check_restart_reuses_tokens);
HC_DECL(hc_check_revoked_token_not_reused);
HC_DECL(hc_check_logout_revokes);
HC_DECL(hc_check_token_not_in_url);
HC_DECL(hc_check_token_audience_respected);

/* checks_mcp.c */
HC_DECL(hc_check_mcp_initialize_first);
HC_DECL(hc_check_mcp_initialized_notification);
HC_DECL(hc_check_mcp_session_id_echoed);
HC_DECL(hc_check_mcp_protocol_version_header);
HC_DECL(hc_check_mcp_accept_header);
HC_DECL(hc_check_mcp_request_metadata_headers);

#endif
