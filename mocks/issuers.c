/* The workload issuer (workload identity federation) and the enterprise
 * identity provider (enterprise-managed authorization): discovery
 * document, JWKS, and for the IdP the RFC 8693 token exchange of an ID
 * token for an Identity Assertion JWT Authorization Grant (ID-JAG). See
 * mocks/issuers.h and docs/EXTENSIONS.md. */
#include "mocks/issuers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"
#include "common/url.h"
#include "mocks/httpd.h"
#include "mocks/schema.h"
#include "mocks/world_int.h"

/* strcmp that takes a NULL `a` as different. */
static int str_differs(const char *a, const char *b)
{
    return a == NULL || strcmp(a, b) != 0;
}

const char *mo_issuer_str(const struct mo_issuer *is, const char *name)
{
    return ac_json_str(is->conf, name);
}

int64_t mo_issuer_int(const struct mo_issuer *is, const char *name)
{
    return (int64_t)json_integer_value(json_object_get(is->conf, name));
}

/* Sign `claims` (borrowed) with the issuer's key, typ `typ`. */
static char *sign(struct mo_issuer *is, const char *typ, const json_t *claims)
{
    char *jwt = claims != NULL ? ac_jwt_sign(is->key, typ, claims, NULL) : NULL;

    if (jwt != NULL) {
        mo_transcript_add_secret(is->sh->transcript, jwt);
    }
    return jwt;
}

static char *new_jti(void)
{
    return ac_random_token(16, NULL);
}

char *mo_issuer_workload_jwt(struct mo_issuer *is, const char *aud, int64_t ttl)
{
    int64_t now = mo_world_now(is->sh);
    char *jti = new_jti();
    json_t *claims =
        jti == NULL ? NULL
                    : json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss",
                                is->issuer, "sub", mo_issuer_str(is, "subject"),
                                "aud", aud, "iat", (json_int_t)now, "exp",
                                (json_int_t)(now + ttl), "jti", jti);
    char *jwt = sign(is, "JWT", claims);

    json_decref(claims);
    free(jti);
    return jwt;
}

char *mo_issuer_id_token(struct mo_issuer *is)
{
    int64_t now = mo_world_now(is->sh);
    const char *user = mo_issuer_str(is, "subject");
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", is->issuer, "sub",
                  user, "email", user, "aud", mo_issuer_str(is, "client_id"),
                  "iat", (json_int_t)now, "exp",
                  (json_int_t)(now + mo_issuer_int(is, "id_token_ttl")));
    char *jwt = sign(is, "JWT", claims);

    json_decref(claims);
    return jwt;
}

/* --- the file a workload reads its token from ------------------------- */

bool mo_issuer_refresh(struct mo_issuer *is)
{
    char *jwt, *tmp = NULL;
    FILE *f = NULL;
    bool ok = false;

    if (is == NULL || is->file == NULL) {
        return true;
    }
    jwt =
        mo_issuer_workload_jwt(is, is->aud, mo_issuer_int(is, "assertion_ttl"));
    if (jwt == NULL || asprintf(&tmp, "%s.tmp", is->file) < 0) {
        tmp = NULL;
        goto out;
    }
    /* Written aside and renamed: a reader never sees half a token. */
    f = fopen(tmp, "w");
    ok = f != NULL && fputs(jwt, f) >= 0 && fputc('\n', f) != EOF;
    ok = f != NULL && fclose(f) == 0 && ok && rename(tmp, is->file) == 0;
out:
    free(tmp);
    free(jwt);
    return ok;
}

bool mo_issuer_set_file(struct mo_issuer *is, const char *path, const char *aud,
                        struct ac_err *err)
{
    free(is->file);
    free(is->aud);
    is->file = strdup(path);
    is->aud = strdup(aud);
    if (is->file == NULL || is->aud == NULL || !mo_issuer_refresh(is)) {
        AC_ERR(err, AC_ERR_IO, "cannot write the workload token file %s", path);
        return false;
    }
    return true;
}

/* --- discovery and JWKS ------------------------------------------------ */

static bool handle_jwks(void *ctx, const struct mo_req *req,
                        struct mo_reply *rep)
{
    struct mo_issuer *is = ctx;
    json_t *jwk = ac_jwk_export(is->key, false, NULL);
    json_t *doc = jwk != NULL ? json_pack("{s:[o]}", "keys", jwk) : NULL;
    bool ok = doc != NULL && mo_reply_json(rep, 200, doc);

    (void)req;
    json_decref(doc);
    return ok;
}

static bool handle_discovery(void *ctx, const struct mo_req *req,
                             struct mo_reply *rep)
{
    struct mo_issuer *is = ctx;
    char *jwks = NULL, *token = NULL;
    json_t *doc = NULL;
    bool ok = false;

    (void)req;
    if (asprintf(&jwks, "%s/jwks", is->issuer) < 0 ||
        asprintf(&token, "%s/token", is->issuer) < 0) {
        goto out;
    }
    doc = json_pack("{s:s, s:s, s:[s], s:[s], s:[s]}", "issuer", is->issuer,
                    "jwks_uri", jwks, "id_token_signing_alg_values_supported",
                    "ES256", "subject_types_supported", "public",
                    "response_types_supported", "id_token");
    if (doc != NULL && is->kind == MO_ISSUER_IDP) {
        json_object_set_new(doc, "token_endpoint", json_string(token));
        json_object_set_new(doc, "grant_types_supported",
                            json_pack("[s]", MO_GRANT_TOKEN_EXCHANGE));
        json_object_set_new(doc, "token_endpoint_auth_methods_supported",
                            mo_issuer_str(is, "client_secret") != NULL
                                ? json_pack("[s, s]", "client_secret_basic",
                                            "client_secret_post")
                                : json_pack("[s]", "none"));
    }
    ok = doc != NULL && mo_reply_json(rep, 200, doc);
out:
    json_decref(doc);
    free(jwks);
    free(token);
    return ok;
}

/* --- the IdP's token exchange (RFC 8693, ID-JAG draft §4.3) ------------ */

/* RFC 6749 §2.3 at the IdP: with a configured secret, Basic or post
 * credentials of the IdP client; without, a client_id, when sent, must
 * be the IdP client's (a public client, RFC 6749 §3.2.1). NULL when the
 * client authenticated, else why not. */
static const char *idp_client_verdict(struct mo_issuer *is,
                                      const struct mo_req *req,
                                      const struct ac_form *f)
{
    const char *want_id = mo_issuer_str(is, "client_id");
    const char *want_secret = mo_issuer_str(is, "client_secret");
    const char *id = ac_form_get(f, "client_id");
    const char *secret = ac_form_get(f, "client_secret");
    char *bid = NULL, *bsecret = NULL;
    const char *why = NULL;

    if (mo_req_header(req, "Authorization") != NULL) {
        if (!mo_req_basic(req, &bid, &bsecret) || secret != NULL) {
            why = "malformed Basic credentials or two methods";
        } else {
            id = bid;
            secret = bsecret;
        }
    }
    mo_transcript_add_secret(is->sh->transcript, secret);
    if (why == NULL && want_secret != NULL &&
        (id == NULL || strcmp(id, want_id) != 0 ||
         !ac_secret_eq(secret, want_secret))) {
        why = "IdP client authentication failed";
    } else if (why == NULL && id != NULL && strcmp(id, want_id) != 0) {
        why = "unknown IdP client";
    }
    free(bid);
    ac_secret_free(bsecret);
    return why;
}

/* Is `aud` the issuer of an authorization server of the world (with or
 * without a trailing "/")? */
static bool known_as(const struct mo_shared *sh, const char *aud)
{
    size_t i;
    const json_t *v;

    json_array_foreach(sh->issuers, i, v)
    {
        const char *iss = json_string_value(v);
        size_t n = strlen(iss);
        if (aud != NULL && strncmp(aud, iss, n) == 0 &&
            (aud[n] == '\0' || strcmp(aud + n, "/") == 0)) {
            return true;
        }
    }
    return false;
}

/* The request's parameters, or the error (code, description). */
static const char *exchange_verdict(struct mo_issuer *is,
                                    const struct ac_form *f, const char **code)
{
    static const char *const required[] = {"sub", NULL};
    struct ac_jws_verify_params vp = {.algs = AC_JWS_ES256, .key = is->key};
    struct ac_jwt_claims_params cp = {.iss = is->issuer,
                                      .aud = mo_issuer_str(is, "client_id"),
                                      .now = mo_world_now(is->sh),
                                      .leeway = 30,
                                      .require_exp = true,
                                      .required = required};
    const char *gt = ac_form_get(f, "grant_type");
    const char *st = ac_form_get(f, "subject_token");
    json_t *claims;
    bool good;

    *code = "unsupported_grant_type";
    if (gt == NULL || strcmp(gt, MO_GRANT_TOKEN_EXCHANGE) != 0) {
        return "the IdP's token endpoint only does token exchange";
    }
    *code = "invalid_request";
    if (st == NULL) {
        return "subject_token is required (RFC 8693 section 2.1)";
    }
    if (str_differs(ac_form_get(f, "subject_token_type"), MO_TT_ID_TOKEN)) {
        return "subject_token_type must be "
               "urn:ietf:params:oauth:token-type:id_token";
    }
    if (str_differs(ac_form_get(f, "requested_token_type"), MO_TT_ID_JAG)) {
        return "requested_token_type must be "
               "urn:ietf:params:oauth:token-type:id-jag";
    }
    /* EMA: audience MUST be the AS issuer; resource is OPTIONAL (the
     * official suite's IdP requires it; docs/EXTENSIONS.md). */
    if (ac_form_get(f, "audience") == NULL) {
        return "audience (the authorization server's issuer) is required";
    }
    *code = "invalid_grant";
    claims = ac_jwt_verify(st, &vp, NULL, NULL);
    good = claims != NULL && ac_jwt_validate_claims(claims, &cp, NULL);
    json_decref(claims);
    if (!good) {
        return "subject_token is not a valid ID token of this IdP";
    }
    *code = "invalid_target";
    if (!known_as(is->sh, ac_form_get(f, "audience"))) {
        return "audience names no authorization server this IdP trusts";
    }
    return NULL;
}

/* The ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §3.1). The
 * scenario's `id_jag` makes it expired or for another audience. */
static char *mint_id_jag(struct mo_issuer *is, const struct ac_form *f,
                         const json_t *subject)
{
    const char *variant = mo_issuer_str(is, "id_jag");
    int64_t now = mo_world_now(is->sh);
    int64_t ttl = mo_issuer_int(is, "id_jag_ttl");
    const char *aud = ac_form_get(f, "audience");
    const char *scope = ac_form_get(f, "scope");
    char *jti = new_jti();
    json_t *claims = NULL;
    char *jwt = NULL;

    if (strcmp(variant, "expired") == 0) {
        ttl = -60;
    } else if (strcmp(variant, "other_audience") == 0) {
        aud = "https://other-as.example";
    }
    if (jti != NULL) {
        claims = json_pack("{s:s, s:O, s:s, s:s, s:s, s:I, s:I}", "iss",
                           is->issuer, "sub", subject, "aud", aud, "client_id",
                           mo_issuer_str(is, "as_client_id"), "jti", jti, "iat",
                           (json_int_t)now, "exp", (json_int_t)(now + ttl));
    }
    if (claims != NULL && ac_form_get(f, "resource") != NULL) {
        json_object_set_new(claims, "resource",
                            json_string(ac_form_get(f, "resource")));
    }
    if (claims != NULL && scope != NULL) {
        json_object_set_new(claims, "scope", json_string(scope));
    }
    jwt = sign(is, MO_TYP_ID_JAG, claims);
    json_decref(claims);
    free(jti);
    return jwt;
}

static bool exchange_reply(struct mo_issuer *is, struct mo_reply *rep,
                           const struct ac_form *f)
{
    json_t *id = NULL, *hdr = NULL, *doc = NULL;
    char *jag = NULL;
    bool ok = false;

    if (!ac_jwt_peek_unverified(ac_form_get(f, "subject_token"), &hdr, &id,
                                NULL)) {
        goto out;
    }
    jag = mint_id_jag(is, f, json_object_get(id, "sub"));
    doc = jag == NULL ? NULL
                      : json_pack("{s:s, s:s, s:s, s:I}", "access_token", jag,
                                  "issued_token_type", MO_TT_ID_JAG,
                                  "token_type", "N_A", "expires_in",
                                  (json_int_t)mo_issuer_int(is, "id_jag_ttl"));
    if (doc != NULL && ac_form_get(f, "scope") != NULL) {
        json_object_set_new(doc, "scope", json_string(ac_form_get(f, "scope")));
    }
    ok = doc != NULL && mo_reply_json(rep, 200, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
out:
    json_decref(doc);
    json_decref(id);
    json_decref(hdr);
    free(jag);
    return ok;
}

static bool handle_token(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_issuer *is = ctx;
    struct ac_form f;
    struct ac_err e;
    const char *why, *code = "invalid_request";
    const char *scripted = mo_issuer_str(is, "error");
    bool ok;

    ac_form_init(&f);
    if (!mo_req_content_type_is(req, "application/x-www-form-urlencoded") ||
        !ac_form_parse(req->body, &f, &e)) {
        ac_form_free(&f);
        return mo_reply_oauth_error(
            rep, 400, "invalid_request",
            "a form body is required (RFC 6749 section 3.2)");
    }
    mo_transcript_add_secret(is->sh->transcript,
                             ac_form_get(&f, "subject_token"));
    why = idp_client_verdict(is, req, &f);
    if (why != NULL) {
        ok = mo_reply_oauth_error(rep, 401, "invalid_client", why);
    } else if ((why = exchange_verdict(is, &f, &code)) != NULL) {
        ok = mo_reply_oauth_error(rep, 400, code, why);
    } else if (scripted != NULL) {
        ok = mo_reply_oauth_error(rep, 400, scripted,
                                  "the IdP refuses the exchange (scenario "
                                  "enterprise_idp.error)");
    } else {
        ok = exchange_reply(is, rep, &f);
    }
    ac_form_free(&f);
    return ok;
}

/* --- start and stop ---------------------------------------------------- */

static bool routes(struct mo_issuer *is, struct ac_err *err)
{
    const char *pre = is->kind == MO_ISSUER_IDP ? "idp-" : "workload-";
    char md[32], jwks[32], token[32];

    snprintf(md, sizeof md, "%smetadata", pre);
    snprintf(jwks, sizeof jwks, "%sjwks", pre);
    snprintf(token, sizeof token, "%stoken", pre);
    return mo_httpd_route(is->httpd, "GET", "/.well-known/openid-configuration",
                          md, handle_discovery, is, err) &&
           mo_httpd_route(is->httpd, "GET", "/jwks", jwks, handle_jwks, is,
                          err) &&
           (is->kind != MO_ISSUER_IDP ||
            mo_httpd_route(is->httpd, "POST", "/token", token, handle_token, is,
                           err));
}

bool mo_issuer_start(enum mo_issuer_kind kind, const json_t *conf,
                     struct mo_shared *sh, struct mo_issuer **out,
                     struct ac_err *err)
{
    struct mo_issuer *is = calloc(1, sizeof(*is));
    const char *name = kind == MO_ISSUER_IDP ? "idp" : "workload";

    *out = NULL;
    if (is == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the %s", name);
        return false;
    }
    is->kind = kind;
    is->sh = sh;
    is->conf = json_deep_copy(conf);
    /* Worlds built from raw JSON (tests, fuzzing) get the loader's
     * defaults from the one schema table. */
    if (is->conf != NULL &&
        !mo_schema_fill(is->conf, kind == MO_ISSUER_IDP ? mo_schema_idp
                                                        : mo_schema_workload)) {
        json_decref(is->conf);
        is->conf = NULL;
    }
    is->key = ac_jwk_generate(AC_JWS_ES256, err);
    if (is->conf == NULL || is->key == NULL ||
        !mo_httpd_new(name, sh->transcript, &sh->lock, &is->httpd, err) ||
        !mo_httpd_listen(is->httpd, err) ||
        (is->issuer = strdup(mo_httpd_origin(is->httpd))) == NULL ||
        !routes(is, err) || !mo_httpd_start(is->httpd, err)) {
        if (err != NULL && err->code == AC_OK) {
            AC_ERR(err, AC_ERR_NOMEM, "cannot start the %s", name);
        }
        mo_issuer_free(is);
        return false;
    }
    *out = is;
    return true;
}

void mo_issuer_free(struct mo_issuer *is)
{
    if (is == NULL) {
        return;
    }
    mo_httpd_free(is->httpd);
    ac_jwk_free(is->key);
    json_decref(is->conf);
    free(is->issuer);
    free(is->file);
    free(is->aud);
    free(is);
}
