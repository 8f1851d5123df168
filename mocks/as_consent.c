/* The consent page (authcheck serve --interactive): /authorize parks a
 * valid request under a transaction id and shows who asks; /consent
 * answers with the code or access_denied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/url.h"
#include "mocks/as_int.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

/* HTML-escape into a capped buffer. */
static void html_escape(const char *in, char *out, size_t n)
{
    size_t k = 0;

    for (; in != NULL && *in != '\0' && k + 7 < n; in++) {
        const char *rep = *in == '<'    ? "&lt;"
                          : *in == '>'  ? "&gt;"
                          : *in == '&'  ? "&amp;"
                          : *in == '"'  ? "&quot;"
                          : *in == '\'' ? "&#39;"
                                        : NULL;

        if (rep != NULL) {
            k += (size_t)snprintf(out + k, n - k, "%s", rep);
        } else {
            out[k++] = *in;
        }
    }
    out[k] = '\0';
}

/* Park the validated authorization request under a transaction id and
 * show who asks and where the answer goes. */
bool mo_as_consent_page(struct mo_as *as, struct mo_reply *rep,
                        const struct mo_req *req, const struct client *c,
                        const char *redirect_uri)
{
    const char *name = ac_json_str(c->metadata, "client_name");
    struct ac_url u;
    char ename[256], ehost[256], eiss[512], html[4096], cookie[128];
    char *txn = ac_random_token(16, NULL);
    bool ok;

    if (txn == NULL ||
        json_object_set_new(as->pending, txn, json_string(req->query)) != 0) {
        free(txn);
        return false;
    }
    html_escape(name != NULL ? name : c->id, ename, sizeof(ename));
    if (ac_url_parse(redirect_uri, &u, NULL)) {
        html_escape(u.host, ehost, sizeof(ehost));
        ac_url_free(&u);
    } else {
        html_escape(redirect_uri, ehost, sizeof(ehost));
    }
    html_escape(as->issuer, eiss, sizeof(eiss));
    snprintf(html, sizeof(html),
             "<!doctype html><html><head><title>Authorize %s</title></head>"
             "<body><h1>Authorize <span id=\"client\">%s</span>?</h1>"
             "<p>After your decision you will be sent to "
             "<strong id=\"redirect-host\">%s</strong>.</p>"
             "<form method=\"get\" action=\"%s/consent\">"
             "<input type=\"hidden\" name=\"txn\" value=\"%s\">%s"
             "<button name=\"decision\" value=\"approve\">Approve</button> "
             "<button name=\"decision\" value=\"deny\">Deny</button>"
             "</form></body></html>",
             ename, ename, ehost, eiss, txn,
             as->sh->login ? "<input type=\"text\" name=\"username\">"
                             "<input type=\"password\" name=\"password\">"
                           : "");
    snprintf(cookie, sizeof(cookie), "mo_txn=%s; Path=/; HttpOnly", txn);
    free(txn);
    ok = mo_reply_html(rep, 200, html) &&
         mo_reply_header(rep, "Cache-Control", "no-store") &&
         (!as->sh->login || mo_reply_header(rep, "Set-Cookie", cookie));
    return ok;
}

/* Login mode: a password "authcheck" and the transaction's cookie. */
static bool logged_in(const struct mo_req *req, const struct ac_form *f,
                      const char *txn)
{
    const char *pw = ac_form_get(f, "password");
    const char *ck = mo_req_header(req, "Cookie");
    const char *at = ck != NULL ? strstr(ck, "mo_txn=") : NULL;
    size_t n = strlen(txn);

    return pw != NULL && strcmp(pw, "authcheck") == 0 && at != NULL &&
           strncmp(at + 7, txn, n) == 0 &&
           (at[7 + n] == '\0' || at[7 + n] == ';');
}

/* GET /consent?txn=..&decision=approve|deny: the answer of the consent
 * page. Approve: the code redirect; deny: access_denied (RFC 6749
 * §4.1.2.1), both with state and iss. */
bool mo_as_handle_consent(void *ctx, const struct mo_req *req,
                          struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct mo_as_query q;
    const char *txn, *decision, *stored;
    const struct client *c;
    const char *redirect_uri;
    bool ok;

    ac_form_init(&f);
    if (req->query == NULL || !ac_form_parse(req->query, &f, NULL) ||
        (txn = ac_form_get(&f, "txn")) == NULL ||
        (stored = ac_json_str(as->pending, txn)) == NULL) {
        ac_form_free(&f);
        return mo_as_authorize_page(rep, "invalid_request: unknown or used "
                                         "consent transaction");
    }
    decision = ac_form_get(&f, "decision");
    if (as->sh->login && !logged_in(req, &f, txn)) {
        ac_form_free(&f);
        return mo_as_authorize_page(rep, "access_denied: wrong password or "
                                         "no session cookie");
    }
    if (!mo_as_query_parse(stored, &q)) {
        mo_as_query_free(&q);
        ac_form_free(&f);
        return false;
    }
    c = mo_as_client_find(as, ac_form_get(&q.form, "client_id"));
    redirect_uri =
        c != NULL ? mo_as_pick_redirect(c, ac_form_get(&q.form, "redirect_uri"),
                                        as->loopback_any)
                  : NULL;
    if (c == NULL || redirect_uri == NULL) {
        ok = mo_as_authorize_page(rep, "invalid_request: the client is gone");
    } else if (decision != NULL && strcmp(decision, "approve") == 0) {
        ok = mo_as_authorize_success(as, rep, &q, c, redirect_uri);
    } else {
        ok = mo_as_authorize_error(
            as, rep, redirect_uri, ac_form_get(&q.form, "state"),
            "access_denied", "the resource owner denied the request");
    }
    mo_as_query_free(&q);
    json_object_del(as->pending, txn);
    ac_form_free(&f);
    return ok;
}
