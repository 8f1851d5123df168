/* Client authentication at the token, revocation and introspection
 * endpoints (RFC 6749 §2.3): none, client_secret_basic,
 * client_secret_post and private_key_jwt (RFC 7523 §3), one method per
 * request, a client held to the method it registered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"
#include "common/url.h"
#include "mocks/as_int.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

static bool invalid_client(struct mo_reply *rep, bool basic, const char *d)
{
    /* RFC 6749 §5.2: 401, and the scheme the client tried when it used
     * the Authorization header. */
    return (!basic ||
            mo_reply_header(rep, "WWW-Authenticate", "Basic realm=\"mock\"")) &&
           mo_reply_oauth_error(rep, 401, "invalid_client", d);
}

/* The client's method check; NULL when it authenticated, else why not. */
static const char *auth_verdict(const struct client *c, bool basic,
                                const char *secret, int64_t now)
{
    if (strcmp(c->auth_method, "none") == 0) {
        return secret == NULL ? NULL : "a public client has no secret";
    }
    if (strcmp(c->auth_method, "private_key_jwt") == 0) {
        return "client registered private_key_jwt";
    }
    if (strcmp(c->auth_method, "client_secret_basic") == 0 && !basic) {
        return "client registered client_secret_basic";
    }
    if (strcmp(c->auth_method, "client_secret_post") == 0 && basic) {
        return "client registered client_secret_post";
    }
    if (!ac_secret_eq(secret, c->secret)) {
        return "client authentication failed";
    }
    if (c->secret_expires_at != 0 && now >= c->secret_expires_at) {
        /* RFC 7591 §3.2.1 client_secret_expires_at has passed. */
        return "client secret expired";
    }
    return NULL;
}

/* Is `v` (an aud claim: a string or an array of them) or one of its
 * members `name`? RFC 7519 §4.1.3. */
static bool aud_names(const json_t *v, const char *name)
{
    return (json_is_string(v) && strcmp(json_string_value(v), name) == 0) ||
           ac_json_array_has_str(v, name);
}

/* RFC 7523 §3 / OIDC Core §9 private_key_jwt: the assertion is signed
 * by a key of the client, iss = sub = client_id, aud names this server
 * (its token endpoint or issuer), exp in the future, jti not seen before.
 * NULL when it authenticates the client. */
static const char *assertion_verdict(struct mo_as *as, const struct client *c,
                                     const char *assertion)
{
    static const char *const required[] = {"sub", "aud", "jti", NULL};
    struct ac_jws_verify_params vp = {.algs = AC_JWS_RS256 | AC_JWS_ES256,
                                      .jwks = c->jwks};
    struct ac_jwt_claims_params cp = {.iss = c->id,
                                      .now = mo_world_now(as->sh),
                                      .leeway = 30,
                                      .require_exp = true,
                                      .required = required};
    char token_url[1024], issuer_slash[1024];
    const char *why = NULL;
    json_t *claims;
    const json_t *aud;
    const char *jti;

    if (strcmp(c->auth_method, "private_key_jwt") != 0 || c->jwks == NULL) {
        return "client did not register private_key_jwt";
    }
    claims = ac_jwt_verify(assertion, &vp, NULL, NULL);
    if (claims == NULL) {
        return "client_assertion signature does not verify";
    }
    snprintf(token_url, sizeof(token_url), "%s/token", as->issuer);
    /* The official suite's mock accepts the issuer with a trailing "/"
     * as well (its clients build aud from the server URL). */
    snprintf(issuer_slash, sizeof(issuer_slash), "%s/", as->issuer);
    aud = json_object_get(claims, "aud");
    jti = ac_json_str(claims, "jti");
    if (!ac_jwt_validate_claims(claims, &cp, NULL) ||
        strcmp(ac_json_str(claims, "sub") != NULL ? ac_json_str(claims, "sub")
                                                  : "",
               c->id) != 0) {
        why = "client_assertion claims invalid (iss, sub, exp)";
    } else if (!aud_names(aud, token_url) && !aud_names(aud, as->issuer) &&
               !aud_names(aud, issuer_slash)) {
        why = "client_assertion aud must name this server";
    } else if (jti == NULL || ac_json_array_has_str(as->jtis, jti)) {
        why = "client_assertion jti replayed";
    } else {
        json_array_append_new(as->jtis, json_string(jti));
    }
    json_decref(claims);
    return why;
}

/* Authenticate with a client_assertion (RFC 7521 §4.2). */
static bool authenticate_assertion(struct mo_as *as, const struct ac_form *f,
                                   struct mo_reply *rep, struct client **out)
{
    const char *type = ac_form_get(f, "client_assertion_type");
    const char *assertion = ac_form_get(f, "client_assertion");
    const char *id = ac_form_get(f, "client_id");
    json_t *claims = NULL, *header = NULL;
    const char *why;

    *out = NULL;
    if (type == NULL || strcmp(type, JWT_BEARER) != 0 || assertion == NULL) {
        return mo_as_token_error(
            rep, "invalid_request",
            "client_assertion_type must be jwt-bearer with a "
            "client_assertion");
    }
    if (!mo_as_secret_note(as, assertion)) {
        return false;
    }
    if (id == NULL &&
        ac_jwt_peek_unverified(assertion, &header, &claims, NULL)) {
        id = ac_json_str(claims, "sub");
    }
    if ((*out = mo_as_client_lookup(as, id)) == NULL) {
        why = "unknown client";
    } else {
        why = assertion_verdict(as, *out, assertion);
    }
    json_decref(claims);
    json_decref(header);
    if (why != NULL) {
        *out = NULL;
        return invalid_client(rep, false, why);
    }
    return true;
}

/* Authenticate the client of a token or revocation request. Returns false
 * on our failure; *out is NULL when a reply (400/401) was produced. */
bool mo_as_authenticate(struct mo_as *as, const struct mo_req *req,
                        const struct ac_form *f, struct mo_reply *rep,
                        struct client **out)
{
    const char *hdr = mo_req_header(req, "Authorization");
    const char *body_id = ac_form_get(f, "client_id");
    const char *body_secret = ac_form_get(f, "client_secret");
    bool basic = hdr != NULL && strncasecmp(hdr, "Basic ", 6) == 0;
    char *bid = NULL, *bsecret = NULL;
    const char *why = NULL;
    bool ok;

    *out = NULL;
    if (mo_req_header_count(req, "Authorization") > 1 ||
        (basic && body_secret != NULL)) {
        /* RFC 6749 §2.3: one authentication method per request. */
        return mo_as_token_error(rep, "invalid_request",
                                 "more than one client authentication method");
    }
    if (hdr != NULL && !basic) {
        return invalid_client(rep, true, "unsupported authentication scheme");
    }
    if (ac_form_get(f, "client_assertion") != NULL ||
        ac_form_get(f, "client_assertion_type") != NULL) {
        if (basic || body_secret != NULL) {
            return mo_as_token_error(
                rep, "invalid_request",
                "more than one client authentication method");
        }
        return authenticate_assertion(as, f, rep, out);
    }
    if (basic && !mo_req_basic(req, &bid, &bsecret)) {
        why = "malformed Basic credentials";
    } else if (basic && body_id != NULL && strcmp(body_id, bid) != 0) {
        why = "client_id does not match the Basic credentials";
    } else if ((*out = mo_as_client_lookup(as, basic ? bid : body_id)) ==
               NULL) {
        why = "unknown client";
    } else {
        why = auth_verdict(*out, basic, basic ? bsecret : body_secret,
                           mo_world_now(as->sh));
    }
    ok = mo_as_secret_note(as, basic ? bsecret : body_secret);
    if (why != NULL) {
        *out = NULL;
        ok = ok && invalid_client(rep, basic, why);
    }
    free(bid);
    ac_secret_free(bsecret);
    return ok;
}

/* Parse a form body strictly; false with a reply produced when bad. */
bool mo_as_form_body(const struct mo_req *req, struct ac_form *f,
                     struct mo_reply *rep, bool *replied)
{
    struct ac_err err;

    *replied = true;
    ac_form_init(f);
    if (!mo_req_content_type_is(req, "application/x-www-form-urlencoded")) {
        return mo_as_token_error(rep, "invalid_request",
                                 "Content-Type must be "
                                 "application/x-www-form-urlencoded");
    }
    if (!ac_form_parse(req->body, f, &err)) {
        /* RFC 6749 §3.2: parameters MUST NOT be included more than once. */
        return mo_as_token_error(rep, "invalid_request", err.msg);
    }
    *replied = false;
    return true;
}
