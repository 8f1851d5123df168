/* Request matching for "match" rules: the request viewed lazily (form,
 * query, JSON body, client id, bearer token) and the conditions on
 * server, endpoint, method, path, parameters, headers and JSON members. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/form.h"
#include "common/json.h"
#include "mocks/rules_int.h"

/* --- request matching ------------------------------------------------ */

static const struct ac_form *view_form(struct view *w)
{
    if (!w->form_done) {
        w->form_done = true;
        ac_form_init(&w->form);
        if (mo_req_content_type_is(w->req,
                                   "application/x-www-form-urlencoded") &&
            !ac_form_parse(w->req->body, &w->form, NULL)) {
            ac_form_init(&w->form);
        }
    }
    return &w->form;
}

static const struct ac_form *view_query(struct view *w)
{
    if (!w->query_done) {
        w->query_done = true;
        ac_form_init(&w->query);
        if (w->req->query != NULL &&
            !ac_form_parse(w->req->query, &w->query, NULL)) {
            ac_form_init(&w->query);
        }
    }
    return &w->query;
}

static const json_t *view_json(struct view *w)
{
    if (!w->json_done) {
        w->json_done = true;
        w->json = json_loadb(w->req->body, w->req->body_len, 0, NULL);
    }
    return w->json;
}

static const char *view_basic_id(struct view *w)
{
    if (!w->basic_done) {
        w->basic_done = true;
        mo_req_basic(w->req, &w->basic_id, NULL);
    }
    return w->basic_id;
}

static const char *view_bearer(struct view *w)
{
    const char *h = mo_req_header(w->req, "Authorization");

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        return NULL;
    }
    return h + 7 + strspn(h + 7, " ");
}

/* The token a request is about: the bearer token, else the form's
 * refresh_token or token. Borrowed. */
const char *mo_rules_view_token(struct view *w)
{
    const char *t = view_bearer(w);

    if (t == NULL) {
        t = ac_form_get(view_form(w), "refresh_token");
    }
    if (t == NULL) {
        t = ac_form_get(view_form(w), "token");
    }
    return t;
}

/* The client a request is from: Basic user, form or query client_id, or
 * the owner of the bearer token. Borrowed. */
const char *mo_rules_view_client(struct view *w)
{
    const char *c = view_basic_id(w);
    const char *bearer;
    const struct mo_token *t;

    if (c == NULL) {
        c = ac_form_get(view_form(w), "client_id");
    }
    if (c == NULL) {
        c = ac_form_get(view_query(w), "client_id");
    }
    if (c == NULL && (bearer = view_bearer(w)) != NULL &&
        (t = mo_tokens_find(&w->sh->tokens, bearer, MO_TOKEN_ACCESS)) != NULL) {
        c = t->client_id;
    }
    return c;
}

void mo_rules_view_free(struct view *w)
{
    if (w->form_done) {
        ac_form_free(&w->form);
    }
    if (w->query_done) {
        ac_form_free(&w->query);
    }
    json_decref(w->json);
    free(w->basic_id);
}

/* A pattern: exact, or a prefix when it ends in '*'. */
bool mo_rules_str_match(const char *pat, const char *s)
{
    size_t n = strlen(pat);

    if (s == NULL) {
        return false;
    }
    if (n > 0 && pat[n - 1] == '*') {
        return strncmp(pat, s, n - 1) == 0;
    }
    return strcmp(pat, s) == 0;
}

/* A value condition: a string pattern, true (present) or false (absent). */
static bool cond_match(const json_t *cond, const char *actual)
{
    if (json_is_boolean(cond)) {
        return json_is_true(cond) == (actual != NULL);
    }
    return json_is_string(cond) &&
           mo_rules_str_match(json_string_value(cond), actual);
}

static bool map_match(const json_t *conds, const struct ac_form *f)
{
    const char *k;
    const json_t *c;

    json_object_foreach((json_t *)conds, k, c)
    {
        if (!cond_match(c, ac_form_get(f, k))) {
            return false;
        }
    }
    return true;
}

static bool header_match(const json_t *conds, const struct mo_req *req)
{
    const char *k;
    const json_t *c;

    json_object_foreach((json_t *)conds, k, c)
    {
        if (!cond_match(c, mo_req_header(req, k))) {
            return false;
        }
    }
    return true;
}

/* Member at a dotted path ("params.name"), borrowed or NULL. */
const json_t *mo_rules_json_at(const json_t *doc, const char *path)
{
    char buf[256];
    char *save = NULL;
    const json_t *cur = doc;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = strtok_r(buf, ".", &save); p != NULL && cur != NULL;
         p = strtok_r(NULL, ".", &save)) {
        cur = json_object_get(cur, p);
    }
    return cur;
}

static bool json_match(const json_t *conds, const json_t *doc)
{
    const char *k;
    const json_t *c;

    if (!json_is_object(doc)) {
        return false;
    }
    json_object_foreach((json_t *)conds, k, c)
    {
        const json_t *a = mo_rules_json_at(doc, k);

        if (a == NULL ||
            !(json_equal(c, a) || (json_is_string(c) && json_is_string(a) &&
                                   mo_rules_str_match(json_string_value(c),
                                                      json_string_value(a))))) {
            return false;
        }
    }
    return true;
}

static bool endpoint_match(const json_t *e, const char *endpoint)
{
    size_t i;
    const json_t *x;

    if (json_is_string(e)) {
        return strcmp(json_string_value(e), endpoint) == 0;
    }
    json_array_foreach(e, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), endpoint) == 0) {
            return true;
        }
    }
    return false;
}

bool mo_rules_request_matches(const json_t *m, struct view *w)
{
    const struct mo_req *req = w->req;
    const json_t *x;
    const char *s;

    if ((s = ac_json_str(m, "server")) != NULL && strcmp(s, req->server) != 0) {
        return false;
    }
    if ((x = json_object_get(m, "endpoint")) != NULL &&
        !endpoint_match(x, req->endpoint)) {
        return false;
    }
    if ((s = ac_json_str(m, "method")) != NULL &&
        strcasecmp(s, req->method) != 0) {
        return false;
    }
    if ((s = ac_json_str(m, "path")) != NULL &&
        !mo_rules_str_match(s, req->path)) {
        return false;
    }
    if ((x = json_object_get(m, "header")) != NULL && !header_match(x, req)) {
        return false;
    }
    if ((x = json_object_get(m, "query")) != NULL &&
        !map_match(x, view_query(w))) {
        return false;
    }
    if ((x = json_object_get(m, "form")) != NULL &&
        !map_match(x, view_form(w))) {
        return false;
    }
    if ((x = json_object_get(m, "json")) != NULL &&
        !json_match(x, view_json(w))) {
        return false;
    }
    if ((s = ac_json_str(m, "client")) != NULL &&
        !mo_rules_str_match(s, mo_rules_view_client(w))) {
        return false;
    }
    return true;
}
