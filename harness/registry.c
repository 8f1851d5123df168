/* The check registry (checks.h): one row per client check, in the order
 * `authcheck list --checks` and docs/CHECKS.md show them, with its level,
 * spec revision and link, summary, function and baseline flag; lookup by
 * id and the Markdown table of docs/CHECKS.md. The check functions live in
 * checks_<topic>.c (checks_int.h). */
#include "harness/checks.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/buf.h"
#include "harness/checks_int.h"

/* --- the registry ------------------------------------------------------- */

#define MCP_SPEC "2026-07-28"
/* The DPoP extension has no MCP revision of its own: RFC 9449 is the
 * reference, the MCP profile (content_digest) the ext-auth draft. */
#define DPOP_SPEC "RFC 9449"
#define RFC9449 "https://datatracker.ietf.org/doc/html/rfc9449"
#define DPOP_EXT                                                               \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/dpop-extension.mdx"
/* Workload identity federation and enterprise-managed authorization:
 * ext-auth drafts on RFC 7523 / RFC 8693. */
#define EXT_SPEC "ext-auth"
#define WIF_EXT                                                                \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/workload-identity-federation.mdx"
#define EMA_EXT                                                                \
    "https://github.com/modelcontextprotocol/ext-auth/blob/main/"              \
    "specification/draft/enterprise-managed-authorization.mdx"
#define RFC7523 "https://datatracker.ietf.org/doc/html/rfc7523"
#define RFC6749 "https://datatracker.ietf.org/doc/html/rfc6749"
#define MCP_AUTH                                                               \
    "https://modelcontextprotocol.io/specification/2026-07-28/basic/"          \
    "authorization"

/* The transport security rows cite the 2025-11-25 text (the 2026-07-28
 * security considerations repeat it word for word). */
#define TLS_SPEC "2025-11-25"
#define TLS_URL                                                                \
    "https://modelcontextprotocol.io/specification/2025-11-25/basic/"          \
    "authorization#communication-security"

/* Rows are written positionally and leave the last member, `baseline`,
 * out unless they set it: a row without it is simply not baseline. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct hc_check REGISTRY[] = {
    {"prm-fetched", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "The client fetched the Protected Resource Metadata (GET, 200).",
     hc_check_prm_fetched},
    {"as-metadata-fetched", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "The client fetched the authorization server metadata (RFC 8414 or "
     "OpenID discovery, GET, 200).",
     hc_check_as_metadata_fetched, true},
    {"client-registered", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "Where the authorization server offers only DCR, the client registered "
     "(RFC 7591 POST answered 201).",
     hc_check_client_registered},
    {"pkce-code-challenge-sent", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "Every authorization request carries a PKCE code_challenge.",
     hc_check_code_challenge_sent, true},
    {"pkce-s256-method-used", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "Every authorization request uses code_challenge_method=S256.",
     hc_check_s256_method_used, true},
    {"pkce-code-verifier-sent", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7636.html#section-4.5",
     "Every authorization_code token request carries a valid code_verifier "
     "(RFC 7636 §4.1, §4.5).",
     hc_check_verifier_sent, true},
    {"pkce-verifier-matches-challenge", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7636.html#section-4.2",
     "S256(code_verifier) equals the code_challenge of the authorization "
     "request that issued the redeemed code.",
     hc_check_verifier_matches, true},
    {"state-roundtrip", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "Every authorization request carries a fresh state of >= 128 bits "
     "(22+ characters), echoed in the authorization response.",
     hc_check_state_roundtrip, true},
    {"resource-parameter-in-authorization", HC_MUST, MCP_SPEC,
     MCP_AUTH "#resource-parameter-implementation",
     "Every authorization request carries resource equal to the canonical "
     "MCP server URI (RFC 8707).",
     hc_check_resource_in_authorization, true},
    {"resource-parameter-in-token", HC_MUST, MCP_SPEC,
     MCP_AUTH "#resource-parameter-implementation",
     "Every token request carries resource equal to the canonical MCP "
     "server URI (RFC 8707).",
     hc_check_resource_in_token, true},
    {"bearer-header-used", HC_MUST, MCP_SPEC, MCP_AUTH "#token-requirements",
     "Every MCP request after issuance carries Authorization: Bearer with an "
     "issued token; no access_token in any query.",
     hc_check_bearer_header_used, true},
    {"mcp-call-succeeded", HC_MUST, MCP_SPEC,
     MCP_AUTH "#authorization-flow-steps",
     "A tools/call of the scenario's tool was answered 200 with a JSON-RPC "
     "result.",
     hc_check_mcp_call_succeeded},
    {"mcp-authenticated-request", HC_MUST, MCP_SPEC,
     MCP_AUTH "#token-requirements",
     "An MCP request carrying an issued access token (any method: "
     "initialize, tools/list, server/discover, ...) was answered with a "
     "JSON-RPC result.",
     hc_check_mcp_authenticated_request},
    {"client-exit-status", HC_MUST, MCP_SPEC,
     "https://github.com/modelcontextprotocol/conformance",
     "Every client run exited 0 when success is expected, non-zero when "
     "refusal is; no timeout or signal.",
     hc_check_client_exit_status, true},

    /* --- discovery (checks_discovery.c) --- */
    {"prm-header-url-used", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "When the 401 challenge names resource_metadata, the client fetches "
     "that URL first.",
     hc_check_prm_header_url_used},
    {"prm-path-before-root", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#protected-resource-metadata-discovery-requirements",
     "Without resource_metadata, the path-inserted PRM URL is tried before "
     "the root one (RFC 9728 §3.1).",
     hc_check_prm_path_before_root},
    {"as-metadata-discovery-order", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "Authorization server metadata URLs are tried in the RFC 8414 / OIDC "
     "order, a later one only after the previous failed.",
     hc_check_as_metadata_order},
    {"as-metadata-fallback", HC_MUST, MCP_SPEC,
     MCP_AUTH "/authorization-server-discovery"
              "#authorization-server-metadata-discovery",
     "After a metadata URL fails (error status, invalid JSON) the client "
     "tries the next discovery URL.",
     hc_check_as_metadata_fallback},
    {"issuer-mismatch-rejected", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8414.html#section-3.3",
     "The client sends nothing to an authorization server whose metadata "
     "issuer does not match its URL.",
     hc_check_issuer_mismatch_rejected, true},
    {"pkce-s256-support-required", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#authorization-code-protection",
     "The client refuses an authorization server whose metadata lacks S256 "
     "in code_challenge_methods_supported.",
     hc_check_s256_support_required, true},
    {"prm-resource-mismatch-rejected", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9728.html#section-3.3",
     "The client does not authorize for a PRM whose resource is not the MCP "
     "server it contacted.",
     hc_check_prm_resource_mismatch_rejected, true},
    {"legacy-2025-03-26-metadata-discovery", HC_MUST, "2025-03-26",
     "https://modelcontextprotocol.io/specification/2025-03-26/basic/"
     "authorization#2-3-server-metadata-discovery",
     "Without PRM (2025-03-26), the client fetches RFC 8414 metadata at the "
     "MCP server's origin.",
     hc_check_legacy_root_metadata},
    {"legacy-2025-03-26-default-endpoints", HC_MUST, "2025-03-26",
     "https://modelcontextprotocol.io/specification/2025-03-26/basic/"
     "authorization#2-3-3-fallbacks-for-servers-without-metadata-discovery",
     "Without any metadata (2025-03-26), the client uses /authorize, "
     "/token, /register at the MCP server's origin.",
     hc_check_legacy_default_endpoints},

    /* --- registration (checks_registration.c) --- */
    {"dcr-application-type", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration"
              "#application-type-and-redirect-uri-constraints",
     "Registration requests carry application_type, \"native\" for loopback "
     "redirect URIs.",
     hc_check_dcr_application_type, true},
    {"dcr-redirect-uris-loopback", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "Registered redirect URIs are loopback http or https, without "
     "fragment.",
     hc_check_dcr_redirect_uris_loopback, true},
    {"sep-2207-client-metadata-grant-types", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "Client metadata lists refresh_token in grant_types (SEP-2207).",
     hc_check_dcr_grant_types_refresh},
    {"dcr-auth-method-supported", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8414.html#section-2",
     "The registered token_endpoint_auth_method is one the server lists as "
     "supported.",
     hc_check_dcr_auth_method_supported},
    {"registration-priority", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "Pre-registered credentials, then a client ID metadata document, are "
     "preferred over DCR.",
     hc_check_registration_priority},
    {"cimd-client-id-used", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#client-id-metadata-documents",
     "With client_id_metadata_document_supported, the client_id is the URL "
     "of its metadata document.",
     hc_check_cimd_client_id_used},
    {"token-endpoint-auth-method", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3",
     "Token requests authenticate with the registered method (basic, post, "
     "none, private_key_jwt), correctly encoded.",
     hc_check_token_endpoint_auth_method, true},
    {"private-key-jwt-claims", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7523.html#section-3",
     "A client_assertion is a signed JWT with iss = sub = client_id, aud, "
     "exp and jti.",
     hc_check_private_key_jwt_claims, true},
    {"client-credentials-grant-type", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/extensions/auth/client-credentials",
     "Against a client_credentials-only server, the client uses "
     "grant_type=client_credentials and never /authorize.",
     hc_check_client_credentials_grant},
    {"sep-2352-no-cross-as-credential-reuse", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "Client credentials are presented only to the authorization server "
     "that issued them.",
     hc_check_no_cross_as_credential_reuse, true},
    {"sep-2352-reregister-on-as-change", HC_MUST, MCP_SPEC,
     MCP_AUTH "/client-registration",
     "When the PRM moves to a new authorization server, the client "
     "registers there before authorizing.",
     hc_check_reregister_on_as_change},
    {"stale-client-reregistered", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7591.html#section-3",
     "When the server rejects a registered client (invalid_client, authorize "
     "error page), the client registers again.",
     hc_check_stale_client_reregistered},
    {"registration-reused", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/client-registration#dynamic-client-registration",
     "The client registers once per authorization server and reuses the "
     "registration (across runs too).",
     hc_check_registration_reused},

    /* --- authorization response (checks_authz.c) --- */
    {"sep-2468-client-compare-iss-supported", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "With iss advertised: a matching iss is accepted, a mismatched one "
     "rejected (code not redeemed).",
     hc_check_iss_compare_supported},
    {"sep-2468-client-reject-missing-iss", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "With iss advertised, a response without iss is rejected (code not "
     "redeemed).",
     hc_check_iss_reject_missing},
    {"sep-2468-client-compare-iss-unadvertised", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "An iss that was not advertised is still compared, and a mismatch "
     "rejected.",
     hc_check_iss_compare_unadvertised},
    {"sep-2468-client-proceed-no-iss", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4",
     "Without iss advertised or sent, the client proceeds to redeem the "
     "code.",
     hc_check_iss_proceed_absent},
    {"state-mismatch-rejected", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#open-redirection",
     "A callback whose state the client never sent is not redeemed.",
     hc_check_state_mismatch_rejected, true},
    {"redirect-uri-consistent", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.3",
     "The code redemption repeats the authorization request's redirect_uri.",
     hc_check_redirect_uri_consistent, true},
    /* RFC 8252 §8.3 calls localhost NOT RECOMMENDED, but MCP clients use
     * it widely and the official suite accepts it: INFO, so that --strict
     * (where a WARNING fails) never fails a client for it. */
    {"redirect-uri-loopback-ip", HC_MAY, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3",
     "An http redirect URI uses the loopback IP literal, not "
     "\"localhost\".",
     hc_check_redirect_uri_loopback_ip, true},
    {"redirect-uri-registered", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-3.1.2.2",
     "A registered client authorizes only with a redirect_uri its "
     "registration lists (e.g. after its loopback port changed).",
     hc_check_redirect_uri_registered},
    {"code-single-use", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2",
     "No authorization code is redeemed twice.", hc_check_code_single_use,
     true},
    {"authorization-error-handled", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2.1",
     "An authorization error response that reached the client ends that "
     "authorization: no code redemption follows, no markup from "
     "error_description is echoed on the callback page.",
     hc_check_authorization_error_handled, true},

    /* --- scopes (checks_scope.c) --- */
    {"scope-from-www-authenticate", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "The first authorization request asks for the scope of the 401 "
     "challenge.",
     hc_check_scope_from_challenge},
    {"scope-from-scopes-supported", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "Without a challenge scope, the client asks for all of the PRM's "
     "scopes_supported.",
     hc_check_scope_from_scopes_supported},
    {"scope-omitted-when-undefined", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "Without challenge scope or scopes_supported, the client omits scope.",
     hc_check_scope_omitted_when_undefined},
    {"scope-step-up-escalation", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#step-up-authorization-flow",
     "After 403 insufficient_scope, the client re-authorizes with the union "
     "of its scopes and the challenge's.",
     hc_check_scope_step_up_escalation},
    {"scope-retry-limit", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "#step-up-authorization-flow",
     "The client bounds step-up retries (at most 4 authorization requests "
     "per run: the first and 3 step-ups).",
     hc_check_scope_retry_limit},
    {"sep-2207-offline-access-not-requested", HC_MUST, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "offline_access is requested only when the authorization server lists "
     "it in scopes_supported.",
     hc_check_offline_access_not_requested, true},
    {"sep-2207-offline-access-requested", HC_MAY, MCP_SPEC,
     MCP_AUTH "#scope-selection-strategy",
     "When the authorization server lists offline_access, the client asks "
     "for it.",
     hc_check_offline_access_requested},

    /* --- token lifecycle (checks_tokens.c) --- */
    {"refresh-before-reauthorization", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "When the access token is rejected and a refresh token is held, the "
     "client refreshes before authorizing again.",
     hc_check_refresh_before_reauthorization},
    {"refresh-token-rotation", HC_MUST, MCP_SPEC,
     MCP_AUTH "/security-considerations#token-theft",
     "After a refresh rotates the refresh token, the old one is never sent "
     "again.",
     hc_check_refresh_token_rotation, true},
    {"refresh-scope-not-widened", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "A refresh request asks for no scope beyond what was authorized.",
     hc_check_refresh_scope_not_widened, true},
    {"invalid-grant-reauthorize-once", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2",
     "After invalid_grant on refresh, the refresh token is dropped and the "
     "client authorizes once.",
     hc_check_invalid_grant_reauthorize_once},
    {"refresh-5xx-keeps-credentials", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-6",
     "After a refresh fails with a server error, the client retries with the "
     "same refresh token, not a new grant.",
     hc_check_refresh_5xx_keeps_credentials},
    {"refresh-proactive", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1",
     "A client holding a refresh token renews an access token whose "
     "expires_in has run out before sending it, not only after a 401.",
     hc_check_refresh_proactive},
    {"no-reauthorization", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6749.html#section-1.5",
     "One authorization lasts the whole session (refresh instead of a new "
     "browser visit).",
     hc_check_no_reauthorization},
    {"restart-reuses-tokens", HC_SHOULD, MCP_SPEC,
     MCP_AUTH "/security-considerations#token-storage",
     "A restarted client reuses its stored tokens and registration: one "
     "authorization across runs.",
     hc_check_restart_reuses_tokens},
    {"revoked-token-not-reused", HC_MUST, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc6750.html#section-3.1",
     "An access token rejected with invalid_token is not sent again.",
     hc_check_revoked_token_not_reused, true},
    {"logout-revokes", HC_SHOULD, MCP_SPEC,
     "https://www.rfc-editor.org/rfc/rfc7009.html#section-2",
     "On logout the client revokes its tokens at the revocation endpoint.",
     hc_check_logout_revokes},
    {"token-not-in-url", HC_MUST, MCP_SPEC, MCP_AUTH "#token-requirements",
     "No issued access or refresh token appears in any request URL.",
     hc_check_token_not_in_url, true},
    {"token-audience-respected", HC_MUST, MCP_SPEC,
     MCP_AUTH "#token-audience-binding-and-validation",
     "A token is sent only to the MCP server (resource) it was requested "
     "for.",
     hc_check_token_audience_respected, true},

    /* --- MCP transport (checks_mcp.c) --- */
    {"mcp-initialize-first", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "lifecycle#initialization",
     "On the 2025-11-25 wire, the first authorized MCP request is "
     "initialize.",
     hc_check_mcp_initialize_first, true},
    {"mcp-initialized-notification", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "lifecycle#initialization",
     "After initialize, the client sends notifications/initialized before "
     "other requests.",
     hc_check_mcp_initialized_notification, true},
    {"mcp-session-id-echoed", HC_MUST, "2025-11-25",
     "https://modelcontextprotocol.io/specification/2025-11-25/basic/"
     "transports#session-management",
     "Every request after initialize carries the Mcp-Session-Id the server "
     "assigned.",
     hc_check_mcp_session_id_echoed, true},
    {"mcp-protocol-version-header", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#protocol-version-header",
     "Every MCP request carries MCP-Protocol-Version with the negotiated "
     "(or 2026-07-28) version.",
     hc_check_mcp_protocol_version_header, true},
    {"mcp-accept-header", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#sending-messages-to-the-server",
     "Every MCP POST accepts both application/json and text/event-stream.",
     hc_check_mcp_accept_header, true},
    {"mcp-request-metadata-headers", HC_MUST, MCP_SPEC,
     "https://modelcontextprotocol.io/specification/2026-07-28/basic/"
     "transports/streamable-http#request-metadata",
     "On the 2026-07-28 wire, Mcp-Method (and Mcp-Name for tools/call) "
     "mirror the JSON-RPC body; a tools/call carries an `Mcp-Param-{Name}` "
     "header (decoded from the base64 sentinel form) equal to each argument "
     "the tool's last listed inputSchema marks with `x-mcp-header`, and none "
     "for an absent or null one.",
     hc_check_mcp_request_metadata_headers, true},
    /* DPoP (RFC 9449; ext-auth "DPoP Profile for MCP"), checks_dpop.c */
    {"dpop-token-proof", HC_MUST, DPOP_SPEC, RFC9449 "#section-5",
     "With DPoP offered, every token request carries one DPoP proof (typ "
     "dpop+jwt, a public jwk, htm POST, htu the token endpoint).",
     hc_check_dpop_token_proof},
    {"dpop-scheme", HC_MUST, DPOP_SPEC, RFC9449 "#section-7.1",
     "A DPoP-bound access token is presented with \"Authorization: DPoP\" "
     "and a DPoP proof, never downgraded to Bearer.",
     hc_check_dpop_scheme},
    {"dpop-fresh-proof", HC_MUST, DPOP_SPEC, RFC9449 "#section-11.1",
     "Every DPoP proof has its own jti: a fresh proof per request.",
     hc_check_dpop_fresh_proof},
    {"dpop-ath", HC_MUST, DPOP_SPEC, RFC9449 "#section-4.2",
     "Every proof sent with an access token to the MCP server carries ath, "
     "the base64url SHA-256 of that token.",
     hc_check_dpop_ath},
    {"dpop-content-digest", HC_MUST, DPOP_SPEC, DPOP_EXT,
     "Every proof to the MCP server carries content_digest, "
     "sha-256=:<base64 SHA-256 of the request body>: (MCP DPoP profile).",
     hc_check_dpop_content_digest},
    {"dpop-as-nonce", HC_MUST, DPOP_SPEC, RFC9449 "#section-8",
     "After the token endpoint's use_dpop_nonce, the client retries with a "
     "proof carrying the DPoP-Nonce it was given (and keeps the latest).",
     hc_check_dpop_as_nonce},
    {"dpop-rs-nonce", HC_MUST, DPOP_SPEC, RFC9449 "#section-9",
     "After the MCP server's 401 DPoP error=\"use_dpop_nonce\", the client "
     "retries with a proof carrying the DPoP-Nonce it was given.",
     hc_check_dpop_rs_nonce},
    {"dpop-key-binding", HC_MUST, DPOP_SPEC, RFC9449 "#section-7.1",
     "Every DPoP-bound access or refresh token is presented with a proof of "
     "the key it is bound to, also after a restart (the key is kept with "
     "the tokens).",
     hc_check_dpop_key_binding},
    /* Transport security (scenarios/tls), checks_tls.c. MCP 2025-11-25
     * authorization, Communication Security: "Implementations MUST follow
     * OAuth 2.1 Section 1.5 'Communication Security'. Specifically: 1.
     * All authorization server endpoints MUST be served over HTTPS."
     * And OAuth 2.1 §1.5 (draft-ietf-oauth-v2-1-13): "All the OAuth
     * protocol URLs (URLs exposed by the AS, RS and Client) MUST use the
     * https scheme except for loopback interface redirect URIs, which MAY
     * use the http scheme. When using https, TLS certificates MUST be
     * checked according to Section 4.3.4 of [RFC9110]." A client that
     * sends nothing over a connection it should have refused passes. */
    {"tls-as-cert-wrong-name-refused", HC_MUST, TLS_SPEC, TLS_URL,
     "The client refuses an authorization server whose TLS certificate "
     "is for another host name: no request, no secret, reaches it.",
     hc_check_tls_as_cert_wrong_name_refused},
    {"tls-as-cert-expired-refused", HC_MUST, TLS_SPEC, TLS_URL,
     "The client refuses an authorization server whose TLS certificate "
     "has expired: no request, no secret, reaches it.",
     hc_check_tls_as_cert_expired_refused},
    {"tls-as-cert-untrusted-ca-refused", HC_MUST, TLS_SPEC, TLS_URL,
     "The client refuses an authorization server whose TLS certificate "
     "comes from a CA it does not trust: no request, no secret, reaches "
     "it.",
     hc_check_tls_as_cert_untrusted_ca_refused},
    {"tls-http-endpoint-refused", HC_MUST, TLS_SPEC, TLS_URL,
     "Given AS metadata naming a plain-http endpoint on a non-loopback "
     "host, the client sends nothing there (no code, verifier or secret "
     "in clear text).",
     hc_check_tls_http_endpoint_refused},
    {"tls-downgrade-redirect-refused", HC_MUST, TLS_SPEC, TLS_URL,
     "The client does not follow a redirect from https to plain http on a "
     "non-loopback host during discovery.",
     hc_check_tls_downgrade_redirect_refused},
    /* --- Workload identity federation and enterprise-managed
     * authorization (ext-auth; RFC 7523, RFC 8693, ID-JAG draft):
     * checks_wif.c, checks_ema.c. One block, kept together. --- */
    {"wif-grant-type", HC_MUST, EXT_SPEC, WIF_EXT "#token-endpoint",
     "A client with a workload identity asks for tokens with grant_type "
     "urn:ietf:params:oauth:grant-type:jwt-bearer and its workload JWT as "
     "`assertion` (RFC 7523 §2.1).",
     hc_check_wif_grant_type},
    {"wif-assertion-audience", HC_MUST, EXT_SPEC, RFC7523 "#section-3",
     "Every workload JWT presented names the authorization server it is "
     "sent to in aud (its token endpoint; the issuer is accepted too).",
     hc_check_wif_assertion_audience},
    {"wif-assertion-fresh", HC_MUST, EXT_SPEC, RFC7523 "#section-3",
     "No expired workload JWT is presented: a new grant reads the "
     "workload's token source again instead of reusing an old assertion.",
     hc_check_wif_assertion_fresh},
    {"wif-no-blind-retry", HC_SHOULD, EXT_SPEC, RFC6749 "#section-5.2",
     "After an error answer to a JWT bearer grant (unauthorized_client, "
     "invalid_grant, invalid_scope) the same assertion is not sent again.",
     hc_check_wif_no_blind_retry},
    {"wif-no-code-fallback", HC_SHOULD, EXT_SPEC, WIF_EXT "#flow-steps",
     "A client configured with a workload identity never falls back to a "
     "user's grant: no registration, authorization request or code grant.",
     hc_check_wif_no_code_fallback},
    {"ema-token-exchange", HC_MUST, EXT_SPEC, EMA_EXT,
     "The IdP token exchange (RFC 8693) has grant_type token-exchange, "
     "requested_token_type id-jag, subject_token_type id_token, audience "
     "the AS issuer, and resource (if sent) the MCP server's.",
     hc_check_ema_token_exchange},
    {"ema-jag-audience", HC_MUST, EXT_SPEC, EMA_EXT,
     "An ID-JAG is presented only to the authorization server its aud "
     "names (jwt-bearer grant), never to another server.",
     hc_check_ema_jag_audience},
    {"ema-jag-expiry", HC_MUST, EXT_SPEC, EMA_EXT,
     "No ID-JAG is presented outside its validity window (exp).",
     hc_check_ema_jag_expiry},
    {"ema-no-fallback", HC_MUST, EXT_SPEC, EMA_EXT,
     "When the IdP refuses the exchange the client stops: no JWT bearer "
     "grant without an ID-JAG, no user's grant, no identical retry.",
     hc_check_ema_no_fallback},
};
#pragma GCC diagnostic pop

const struct hc_check *hc_registry(size_t *n)
{
    *n = sizeof REGISTRY / sizeof REGISTRY[0];
    return REGISTRY;
}

const struct hc_check *hc_find(const char *id)
{
    size_t n;
    const struct hc_check *r = hc_registry(&n);

    for (size_t i = 0; id != NULL && i < n; i++) {
        if (strcmp(r[i].id, id) == 0) {
            return &r[i];
        }
    }
    return NULL;
}

char *hc_registry_markdown(void)
{
    struct ac_buf b;
    size_t n;
    const struct hc_check *r = hc_registry(&n);
    bool ok;

    ac_buf_init(&b, 0);
    ok = ac_buf_append_str(&b,
                           "| id | level | baseline | spec | summary |\n"
                           "|---|---|---|---|---|\n",
                           NULL);
    for (size_t i = 0; ok && i < n; i++) {
        ok = ac_buf_printf(&b, NULL, "| `%s` | %s | %s | [%s](%s) | %s |\n",
                           r[i].id, hc_level_name(r[i].level),
                           r[i].baseline ? "yes" : "", r[i].spec, r[i].spec_url,
                           r[i].summary);
    }
    if (!ok) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}
