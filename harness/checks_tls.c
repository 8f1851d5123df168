/* Transport security checks (scenarios/tls, docs/CHECKS.md "TLS"): the
 * client refuses an authorization server whose certificate is for another
 * name, expired, or from a CA it was not given, and sends nothing to a
 * plain-http endpoint or redirect target.
 *
 * What the mocks record for them: a TLS connection that closed before any
 * request is an exchange of endpoint "tls" (mocks/httpd.c), so "refused"
 * (connections, no request) differs from "never came" (nothing at all);
 * the world's plain-http listener is server "insecure", and any request
 * there is the finding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* The secrets a request to a plain-http endpoint may carry, by name. */
static const char *const secret_params[] = {
    "code",          "code_verifier",    "client_secret",
    "refresh_token", "client_assertion", NULL};

/* The id of the first authorization server of the scenario serving the
 * certificate `kind` (borrowed), or NULL. */
static const char *as_with_cert(const struct hc_input *in, const char *kind)
{
    size_t i;
    const json_t *as;

    json_array_foreach(json_object_get(in->scenario, "authorization_servers"),
                       i, as)
    {
        const char *c = ac_json_str(as, "tls_certificate");

        if (c != NULL && strcmp(c, kind) == 0) {
            return ac_json_str(as, "id");
        }
    }
    return NULL;
}

/* Refused: TLS connections to `server` closed before any request, and no
 * request reached it. */
static void cert_refused(const struct hc_input *in, struct hc_result *out,
                         const char *kind)
{
    const char *server = as_with_cert(in, kind);
    const json_t *tr = in->transcript;
    size_t refusals = 0, requests = 0;

    if (server == NULL) {
        hc_verdict(out, HC_SKIPPED,
                   "no authorization server of the scenario serves a %s "
                   "certificate",
                   kind);
        return;
    }
    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        const char *s = tq_server(ex);

        if (s == NULL || strcmp(s, server) != 0) {
            continue;
        }
        if (tq_is(ex, "tls", NULL)) {
            refusals++;
        } else {
            requests++;
            hc_evidence(out, tr, i);
        }
    }
    if (requests > 0) {
        hc_verdict(out, HC_FAILURE,
                   "the client accepted the authorization server's %s "
                   "certificate: %zu request(s) reached it over that "
                   "connection",
                   kind, requests);
    } else if (refusals > 0) {
        hc_verdict(out, HC_SUCCESS,
                   "the client refused the %s certificate: %zu TLS "
                   "connection(s) closed before any request, nothing sent",
                   kind, refusals);
    } else {
        hc_missing_fact(in, out,
                        "the client never connected to the authorization "
                        "server");
    }
}

void hc_check_tls_as_cert_wrong_name_refused(const struct hc_input *in,
                                             struct hc_result *out)
{
    cert_refused(in, out, "wrong-name");
}

void hc_check_tls_as_cert_expired_refused(const struct hc_input *in,
                                          struct hc_result *out)
{
    cert_refused(in, out, "expired");
}

void hc_check_tls_as_cert_untrusted_ca_refused(const struct hc_input *in,
                                               struct hc_result *out)
{
    cert_refused(in, out, "untrusted-ca");
}

/* --- plain-http endpoints and redirects ------------------------------ */

/* The secret parameters a request's query and form body carry, listed in
 * `buf` ("code, code_verifier"); "" when none. */
static void secrets_in(const json_t *ex, char *buf, size_t n)
{
    struct ac_form q, b;
    bool hq = tq_query_form(ex, &q, NULL), hb = tq_body_form(ex, &b, NULL);

    buf[0] = '\0';
    for (size_t k = 0; secret_params[k] != NULL; k++) {
        if ((hq && ac_form_get(&q, secret_params[k]) != NULL) ||
            (hb && ac_form_get(&b, secret_params[k]) != NULL)) {
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "%s%s", len > 0 ? ", " : "",
                     secret_params[k]);
        }
    }
    if (tq_req_header(ex, "Authorization") != NULL) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%sAuthorization header",
                 len > 0 ? ", " : "");
    }
    ac_form_free(&q);
    ac_form_free(&b);
}

/* FAILURE when a request reached the plain-http listener; true then. */
static bool sent_in_clear(const struct hc_input *in, struct hc_result *out)
{
    const json_t *tr = in->transcript;
    size_t first = TQ_NONE, n = 0;
    char secrets[160];

    for (size_t i = 0; i < tq_count(tr); i++) {
        const char *s = tq_server(tq_at(tr, i));

        if (s != NULL && strcmp(s, "insecure") == 0) {
            first = first == TQ_NONE ? i : first;
            n++;
            hc_evidence(out, tr, i);
        }
    }
    if (first == TQ_NONE) {
        return false;
    }
    secrets_in(tq_at(tr, first), secrets, sizeof secrets);
    hc_verdict(out, HC_FAILURE,
               "%zu request(s) over plain http to a non-loopback host; the "
               "first (%s %.80s, seq %zu) carried %s",
               n, tq_method(tq_at(tr, first)), tq_path(tq_at(tr, first)),
               hc_seq_of(tr, first),
               secrets[0] != '\0' ? secrets : "no secret");
    return true;
}

/* Is `url` http:// on a host that is not loopback? */
static bool plain_remote(const char *url)
{
    struct ac_url u = {0};
    bool r = url != NULL && strncasecmp(url, "http://", 7) == 0 &&
             ac_url_parse(url, &u, NULL) && !ac_url_is_loopback(&u);

    ac_url_free(&u);
    return r;
}

/* Did the client receive AS metadata (200) naming a plain-http,
 * non-loopback endpoint? Its index, or TQ_NONE. */
static size_t metadata_naming_http(const json_t *tr)
{
    static const char *const members[] = {
        "token_endpoint", "authorization_endpoint", "registration_endpoint",
        "revocation_endpoint", NULL};

    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        json_t *doc = NULL;
        bool hit = false;

        if ((!tq_is(ex, "metadata", "GET") && !tq_is(ex, "oidc", "GET")) ||
            tq_status(ex) != 200 || (doc = tq_resp_json(ex)) == NULL) {
            continue;
        }
        for (size_t k = 0; !hit && members[k] != NULL; k++) {
            hit = plain_remote(ac_json_str(doc, members[k]));
        }
        json_decref(doc);
        if (hit) {
            return i;
        }
    }
    return TQ_NONE;
}

void hc_check_tls_http_endpoint_refused(const struct hc_input *in,
                                        struct hc_result *out)
{
    size_t at = metadata_naming_http(in->transcript);

    if (sent_in_clear(in, out)) {
        return;
    }
    if (at == TQ_NONE) {
        hc_missing_fact(in, out,
                        "the client never received metadata naming a "
                        "plain-http endpoint");
        return;
    }
    hc_evidence(out, in->transcript, at);
    hc_verdict(out, HC_SUCCESS,
               "metadata named a plain-http, non-loopback endpoint (seq "
               "%zu); the client sent nothing there",
               hc_seq_of(in->transcript, at));
}

/* A 3xx answer from an https server whose Location is plain http to a
 * non-loopback host: its index, or TQ_NONE. */
static size_t downgrade_redirect(const json_t *tr)
{
    for (size_t i = 0; i < tq_count(tr); i++) {
        const json_t *ex = tq_at(tr, i);
        int st = tq_status(ex);
        const char *url = tq_url(ex);

        if (st >= 300 && st < 400 && url != NULL &&
            strncasecmp(url, "https://", 8) == 0 &&
            plain_remote(tq_resp_header(ex, "Location"))) {
            return i;
        }
    }
    return TQ_NONE;
}

void hc_check_tls_downgrade_redirect_refused(const struct hc_input *in,
                                             struct hc_result *out)
{
    size_t at = downgrade_redirect(in->transcript);

    if (sent_in_clear(in, out)) {
        return;
    }
    if (at == TQ_NONE) {
        hc_missing_fact(in, out,
                        "no https server answered with a redirect to plain "
                        "http");
        return;
    }
    hc_evidence(out, in->transcript, at);
    hc_verdict(out, HC_SUCCESS,
               "an https answer redirected to plain http (seq %zu); the "
               "client did not follow it",
               hc_seq_of(in->transcript, at));
}
