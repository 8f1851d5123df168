/* The authorization request (authorize.c), the user agent (browser.c) and
 * the token endpoint (token.c). */
#ifndef MCPO_AUTHORIZE_INT_H
#define MCPO_AUTHORIZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "common/err.h"
#include "common/form.h"

struct ac_jwk;

/* Inputs of one authorization request (all borrowed). */
struct authz_params {
    const char *endpoint; /* authorization_endpoint */
    const char *client_id;
    const char *redirect_uri;
    const char *scope;    /* NULL: the scope parameter is omitted */
    const char *resource; /* NULL: omitted (only under a mutation) */
};

/* One authorization request: its secrets and its URL (all owned). */
struct authz_request {
    char *state;        /* 256 random bits, base64url */
    char *verifier;     /* PKCE code_verifier; NULL under no-pkce */
    char *challenge;    /* code_challenge; NULL under no-pkce */
    const char *method; /* "S256" ("plain" under pkce-plain) or NULL */
    char *url;          /* the full authorization URL */
};

/* Draw state and verifier and compose the URL (RFC 6749 §4.1.1,
 * RFC 7636 §4.3, RFC 8707 §2). Fails when the endpoint has a fragment
 * (RFC 6749 §3.1). `out` is filled (authz_request_free) on success. */
bool authz_request_build(const struct authz_params *p,
                         struct authz_request *out, struct ac_err *err);
void authz_request_free(struct authz_request *r);

/* --no-browser: judge a redirect URL the user pasted. It must start with
 * `redirect_uri` followed by "?"; its query is judged by cb_judge (state,
 * RFC 9207 iss, error) with `e`. On CB_ACCEPT *code is a new string
 * (ac_secret_free). */
enum cb_verdict paste_judge(const char *pasted, const char *redirect_uri,
                            const struct cb_expect *e, char **code,
                            struct ac_err *why);

/* The scope before offline_access is considered: the step-up union, the
 * configured scope, the challenge's, the PRM's scopes_supported, or NULL.
 * (The client credentials grant uses this: no refresh token there.) */
char *authz_base_scope(const struct mcpo_client *c, bool *err_nomem);

/* --- browser.c ------------------------------------------------------------ */

/* Split $BROWSER on ':' into a new NULL-terminated array of new strings
 * (strv_free); empty entries are dropped. */
bool browser_split(const char *env, char ***entries, struct ac_err *err);

/* The /bin/sh script that opens "$1" with one $BROWSER entry: "%s" (bare
 * or quoted) becomes "$1" and "%%" a "%"; without "%s" the URL is appended
 * as "$1". The URL itself never reaches the shell's parser. A new string. */
char *browser_script(const char *entry);

/* Run one entry: /bin/sh -c SCRIPT sh URL. *pid is the child. */
bool browser_spawn(const char *entry, const char *url, pid_t *pid,
                   struct ac_err *err);

enum browser_state {
    BR_RUNNING,   /* an entry is running (or has exited 0 and we wait) */
    BR_EXITED_OK, /* the entry exited 0 */
    BR_FAILED,    /* every entry failed */
};

/* Opening a URL with $BROWSER (or xdg-open), one entry after another until
 * one exits 0. */
struct browser_run {
    char **entries;
    size_t next;
    pid_t pid;
    enum browser_state state;
    char *url;
};

bool browser_run_start(struct browser_run *r, const char *url,
                       struct ac_err *err);
/* Reap the running entry if it ended; start the next one if it failed. */
enum browser_state browser_run_poll(struct browser_run *r);
/* Free (a still-running browser is left alone). */
void browser_run_end(struct browser_run *r);

/* The headless user agent: GET `url` without following redirects, follow
 * at most a few hops, and GET the redirect to `redirect_uri` (delivering
 * it to our own listener). Fails when the chain ends elsewhere. */
bool headless_deliver(struct mcpo_client *c, const char *url,
                      const char *redirect_uri, struct ac_err *err);

/* --- token.c -------------------------------------------------------------- */

struct token_set {
    enum token_fail fail; /* set when token_parse fails */
    char *access_token;   /* secret */
    char *refresh_token;  /* secret, may be NULL */
    char *token_type;
    char *scope;     /* may be NULL */
    long expires_in; /* -1 when absent */
};

/* Validate a token endpoint response (RFC 6749 §5.1 / §5.2). */
bool token_parse(long status, const char *body, size_t len,
                 struct token_set *out, struct ac_err *err);
void token_set_free(struct token_set *t);

/* Exchange an authorization code (RFC 6749 §4.1.3 + RFC 7636 §4.5 +
 * RFC 8707 §2); stores the tokens in the client. `verifier` may be NULL
 * (no-pkce mutation). */
bool token_exchange_code(struct mcpo_client *c, const char *code,
                         const char *verifier, struct ac_err *err);

/* RFC 6749 §6 refresh with the client's refresh token (rotation: the new
 * one replaces it; none issued keeps it). On failure c->token_fail says
 * why (TF_INVALID_GRANT also when there is no refresh token). */
bool token_refresh(struct mcpo_client *c, struct ac_err *err);

/* RFC 7523 §2.1 JWT bearer grant with `assertion` (a workload JWT or an
 * ID-JAG); `scope` may be NULL. Client authentication as for the other
 * grants when there is a client_id, none otherwise (RFC 7523 §3.1). */
bool token_jwt_bearer(struct mcpo_client *c, const char *assertion,
                      const char *scope, struct ac_err *err);

/* POST `f` to `url` (not the AS: the enterprise IdP) with optional Basic
 * credentials; the raw answer in *resp (ac_http_response_free). */
bool token_post_to(struct mcpo_client *c, const char *url,
                   const struct ac_form *f, const char *basic_id,
                   const char *basic_secret, struct ac_http_response *resp,
                   struct ac_err *err);

/* RFC 6749 §4.4 client credentials grant; `scope` may be NULL. */
bool token_client_credentials(struct mcpo_client *c, const char *scope,
                              struct ac_err *err);

/* RFC 7009 revocation of `token` (hint "refresh_token"/"access_token")
 * when the AS has a revocation_endpoint; true when there is none. */
bool token_revoke(struct mcpo_client *c, const char *token, const char *hint,
                  struct ac_err *err);

/* --- assertion.c ----------------------------------------------------------
 * private_key_jwt (RFC 7523 §2.2). */

/* A signed client assertion: iss = sub = client_id, aud = `audience`
 * (the issuer), iat, exp (60 s), jti. A new string (ac_secret_free). */
char *assertion_new(const struct ac_jwk *key, const char *client_id,
                    const char *audience, struct ac_err *err);
/* Add client_id, client_assertion_type and a fresh client_assertion for
 * the client's AS to a token endpoint form. */
bool assertion_add(const struct mcpo_client *c, struct ac_form *f,
                   struct ac_err *err);
/* Should the client authenticate with private_key_jwt? When it has a
 * key and the registration says so, or it has no secret, or the AS
 * advertises the method. */
bool assertion_wanted(const struct mcpo_client *c);

#endif
