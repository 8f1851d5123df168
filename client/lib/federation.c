/* Federated grants without a user at the authorization server:
 * workload identity federation (a platform-issued workload JWT presented
 * with the RFC 7523 JWT bearer grant) and enterprise-managed
 * authorization (the user's ID token exchanged at the enterprise IdP for
 * an ID-JAG, RFC 8693, then presented with the JWT bearer grant). Both
 * replace registration and the authorization code grant; neither falls
 * back to them (docs/EXTENSIONS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/authorize_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"

#define TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define TT_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"
#define TT_ID_TOKEN "urn:ietf:params:oauth:token-type:id_token"
#define MAX_JWT_FILE 65536

bool fed_configured(const struct mcpo_client *c)
{
    return c->wif_jwt != NULL || c->wif_file != NULL || c->wif_env != NULL ||
           c->ema_idp_token_endpoint != NULL;
}

void fed_free(struct mcpo_client *c)
{
    ac_secret_free(c->wif_jwt);
    free(c->wif_file);
    free(c->wif_env);
    ac_secret_free(c->wif_cached);
    ac_secret_free(c->ema_id_token);
    free(c->ema_id_token_file);
    free(c->ema_idp_token_endpoint);
    free(c->ema_idp_client_id);
    ac_secret_free(c->ema_idp_client_secret);
}

/* The first line of file `path`, trimmed: a new secret string. */
static char *read_token_file(const char *path, struct ac_err *err)
{
    FILE *f = fopen(path, "r");
    char *buf = f != NULL ? calloc(1, MAX_JWT_FILE + 1) : NULL;
    size_t n = buf != NULL ? fread(buf, 1, MAX_JWT_FILE, f) : 0;

    if (f != NULL) {
        fclose(f);
    }
    if (buf == NULL) {
        AC_ERR(err, AC_ERR_IO, "cannot read the token file %s", path);
        return NULL;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n \t")] = '\0';
    if (buf[0] == '\0') {
        AC_ERR(err, AC_ERR_INVALID, "the token file %s is empty", path);
        ac_secret_free(buf);
        return NULL;
    }
    return buf;
}

/* The JWT's exp and iat (0 when absent); false when it is not a JWT. */
static bool jwt_times(const char *jwt, int64_t *exp, int64_t *iat)
{
    json_t *hdr = NULL, *cl = NULL;
    bool ok = ac_jwt_peek_unverified(jwt, &hdr, &cl, NULL);

    *exp = (int64_t)json_integer_value(json_object_get(cl, "exp"));
    *iat = (int64_t)json_integer_value(json_object_get(cl, "iat"));
    json_decref(hdr);
    json_decref(cl);
    return ok;
}

/* The workload JWT to present now: read from its source every time (a
 * platform rotates the file or variable before the JWT expires: "re-read
 * when it expires" needs no guess at when). A new secret string. */
static char *workload_jwt(struct mcpo_client *c, struct ac_err *err)
{
    const char *env = c->wif_env != NULL ? getenv(c->wif_env) : NULL;
    char *jwt;

    if (MUTATED("wif-cache-assertion") && c->wif_cached != NULL) {
        return strdup(c->wif_cached);
    }
    if (c->wif_file != NULL) {
        jwt = read_token_file(c->wif_file, err);
    } else if (c->wif_env != NULL) {
        jwt = env != NULL && *env != '\0' ? strdup(env) : NULL;
        if (jwt == NULL) {
            AC_ERR(err, AC_ERR_USAGE, "$%s holds no workload token",
                   c->wif_env);
        }
    } else {
        jwt = strdup(c->wif_jwt);
    }
    if (jwt != NULL && MUTATED("wif-cache-assertion")) {
        c->wif_cached = strdup(jwt);
    }
    return jwt;
}

/* RFC 7523 §3 item 4: an assertion past its exp is refused; never send
 * one we can see is expired (the source gave nothing fresher). */
static bool still_valid(const char *what, const char *jwt, struct ac_err *err)
{
    int64_t exp, iat;

    if (!jwt_times(jwt, &exp, &iat)) {
        AC_ERR(err, AC_ERR_INVALID, "the %s is not a JWT", what);
        return false;
    }
    if (exp != 0 && (exp <= ac_now() || (iat != 0 && exp <= iat))) {
        AC_ERR(err, AC_ERR_PROTOCOL, "the %s has expired (exp); not sending it",
               what);
        return false;
    }
    return true;
}

static bool wif_login(struct mcpo_client *c, const char *scope,
                      struct ac_err *err)
{
    char *jwt = workload_jwt(c, err);
    bool ok = jwt != NULL && still_valid("workload JWT", jwt, err) &&
              token_jwt_bearer(c, jwt, scope, err);

    /* No blind retry: an error answer is final for this assertion. */
    for (int k = 0; !ok && jwt != NULL && MUTATED("wif-blind-retry") && k < 2;
         k++) {
        ok = token_jwt_bearer(c, jwt, scope, err);
    }
    ac_secret_free(jwt);
    return ok;
}

/* --- enterprise-managed authorization ---------------------------------- */

/* Does the ID-JAG's aud name the AS we are about to send it to (its
 * issuer, with or without "/", or its token endpoint)? */
static bool jag_for_us(const struct mcpo_client *c, const char *jag)
{
    json_t *hdr = NULL, *cl = NULL;
    const char *te = ac_json_str(c->as_meta, "token_endpoint");
    char *slash = NULL;
    bool ok = false;

    if (c->issuer != NULL && asprintf(&slash, "%s/", c->issuer) >= 0 &&
        ac_jwt_peek_unverified(jag, &hdr, &cl, NULL)) {
        const json_t *aud = json_object_get(cl, "aud");
        const char *names[3] = {c->issuer, slash, te};
        for (size_t k = 0; k < 3 && !ok; k++) {
            ok = names[k] != NULL &&
                 ((json_is_string(aud) &&
                   strcmp(json_string_value(aud), names[k]) == 0) ||
                  ac_json_array_has_str(aud, names[k]));
        }
    }
    json_decref(hdr);
    json_decref(cl);
    free(slash);
    return ok;
}

/* The token exchange form (EMA "Token Exchange", RFC 8693 §2.1). */
static bool exchange_form(struct mcpo_client *c, const char *id_token,
                          const char *scope, struct ac_form *f,
                          struct ac_err *err)
{
    const char *aud = MUTATED("ema-exchange-audience-resource")
                          ? discovery_resource_param(c)
                          : c->issuer;

    return ac_form_add(f, "grant_type", TOKEN_EXCHANGE, err) &&
           ac_form_add(f, "requested_token_type", TT_ID_JAG, err) &&
           ac_form_add(f, "audience", aud, err) &&
           ac_form_add(f, "resource", discovery_resource_param(c), err) &&
           (scope == NULL || ac_form_add(f, "scope", scope, err)) &&
           ac_form_add(f, "subject_token", id_token, err) &&
           ac_form_add(f, "subject_token_type", TT_ID_TOKEN, err) &&
           (c->ema_idp_client_secret != NULL ||
            ac_form_add(f, "client_id", c->ema_idp_client_id, err));
}

/* The ID-JAG of a token exchange answer: a new secret string. */
static char *exchange_answer(const struct ac_http_response *r,
                             struct ac_err *err)
{
    json_t *doc = ac_json_parse_object(r->body, r->body_len, NULL);
    const char *itt = ac_json_str(doc, "issued_token_type");
    const char *jag = ac_json_str(doc, "access_token");
    char *out = NULL;

    if (r->status != 200 || doc == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the IdP refused the token exchange: HTTP %ld%s%.80s", r->status,
               ac_json_str(doc, "error") != NULL ? ", error " : "",
               ac_json_str(doc, "error") != NULL ? ac_json_str(doc, "error")
                                                 : "");
    } else if (itt == NULL || strcmp(itt, TT_ID_JAG) != 0 || jag == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the IdP's token exchange answer has no ID-JAG "
               "(issued_token_type id-jag, RFC 8693 §2.2.1)");
    } else if ((out = strdup(jag)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
    }
    json_decref(doc);
    return out;
}

/* RFC 8693 at the IdP: the ID token for an ID-JAG. New secret string. */
static char *exchange(struct mcpo_client *c, const char *scope,
                      struct ac_err *err)
{
    struct ac_form f;
    struct ac_http_response r = {0};
    char *id_token =
        c->ema_id_token_file != NULL
            ? read_token_file(c->ema_id_token_file, err)
            : (c->ema_id_token != NULL ? strdup(c->ema_id_token) : NULL);
    char *jag = NULL;

    ac_form_init(&f);
    if (id_token == NULL) {
        if (c->ema_id_token_file == NULL) {
            AC_ERR(err, AC_ERR_USAGE, "no ID token for the enterprise IdP");
        }
        goto out;
    }
    http_trace_note("exchanging the ID token for an ID-JAG at %s",
                    c->ema_idp_token_endpoint);
    if (exchange_form(c, id_token, scope, &f, err) &&
        token_post_to(c, c->ema_idp_token_endpoint, &f, c->ema_idp_client_id,
                      c->ema_idp_client_secret, &r, err)) {
        jag = exchange_answer(&r, err);
    }
out:
    ac_http_response_free(&r);
    ac_form_free(&f);
    ac_secret_free(id_token);
    return jag;
}

static bool ema_login(struct mcpo_client *c, const char *scope,
                      struct ac_err *err)
{
    char *jag = exchange(c, scope, err);
    bool ok = jag != NULL;

    /* EMA: aud and resource are a bound pair naming where the ID-JAG may
     * be used; an ID-JAG must be rejected outside its validity window. */
    if (ok && !MUTATED("ema-ignore-jag-aud") && !jag_for_us(c, jag)) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the ID-JAG's aud is not this authorization server (%s); not "
               "sending it",
               c->issuer);
        ok = false;
    }
    if (ok && !MUTATED("ema-ignore-jag-exp")) {
        ok = still_valid("ID-JAG", jag, err);
    }
    ok = ok && token_jwt_bearer(c, jag, scope, err);
    ac_secret_free(jag);
    return ok;
}

bool fed_login(struct mcpo_client *c, struct ac_err *err)
{
    bool nomem;
    char *scope = authz_base_scope(c, &nomem);
    bool ok;

    if (nomem) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    ok = c->ema_idp_token_endpoint != NULL ? ema_login(c, scope, err)
                                           : wif_login(c, scope, err);
    free(scope);
    return ok;
}
