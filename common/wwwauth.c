/* WWW-Authenticate parsing to the RFC 9110 §11.6.1 / §11.3 grammar.
 *
 * The one ambiguity of the grammar is the comma: in
 *   Bearer realm="x", Basic realm="y"
 * the comma separates both auth-params and challenges. After a comma, a
 * token followed by BWS and "=" continues the current challenge's
 * parameters; any other token starts a new challenge (as curl and Go's
 * net/http read it). A scheme followed by a token68 ("Basic dXNlcg==") is
 * told apart from parameters by what follows the token68 and its "="
 * padding: only the end of the line or a comma. */
#include "common/wwwauth.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One header line being parsed. */
struct cursor {
    const char *s;
    size_t pos;
    size_t line;
};

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 §11.2 token68 character (before the "=" padding). */
static bool is_t68char(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("-._~+/", c) != NULL);
}

static void skip_ows(struct cursor *c)
{
    while (c->s[c->pos] == ' ' || c->s[c->pos] == '\t') {
        c->pos++;
    }
}

static size_t token_len(const struct cursor *c, size_t at)
{
    size_t n = 0;

    while (is_tchar((unsigned char)c->s[at + n])) {
        n++;
    }
    return n;
}

static bool fail(const struct cursor *c, struct ac_err *err, const char *why)
{
    AC_ERR(err, AC_ERR_INVALID, "WWW-Authenticate line %zu offset %zu: %s",
           c->line + 1, c->pos, why);
    return false;
}

static void challenge_free(struct ac_challenge *ch)
{
    size_t i;

    for (i = 0; i < ch->nparams; i++) {
        free(ch->params[i].name);
        free(ch->params[i].value);
    }
    free(ch->params);
    free(ch->scheme);
    free(ch->token68);
    memset(ch, 0, sizeof(*ch));
}

void ac_challenges_free(struct ac_challenges *cs)
{
    size_t i;

    if (cs == NULL) {
        return;
    }
    for (i = 0; i < cs->n; i++) {
        challenge_free(&cs->items[i]);
    }
    free(cs->items);
    cs->items = NULL;
    cs->n = 0;
}

/* Start a new challenge with the scheme token at the cursor. */
static struct ac_challenge *challenge_new(struct ac_challenges *cs,
                                          struct cursor *c, size_t tlen,
                                          struct ac_err *err)
{
    struct ac_challenge *items, *ch;

    items = realloc(cs->items, (cs->n + 1) * sizeof(*items));
    if (items == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    cs->items = items;
    ch = &items[cs->n];
    memset(ch, 0, sizeof(*ch));
    ch->scheme = strndup(c->s + c->pos, tlen);
    if (ch->scheme == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    cs->n++;
    c->pos += tlen;
    return ch;
}

/* quoted-string (RFC 9110 §5.6.4), unescaping quoted-pairs. */
static char *parse_quoted(struct cursor *c, struct ac_err *err)
{
    const char *s = c->s;
    char *out = malloc(strlen(s + c->pos) + 1);
    size_t o = 0;
    unsigned char ch;

    if (out == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->pos++; /* opening DQUOTE */
    for (;;) {
        ch = (unsigned char)s[c->pos];
        if (ch == '"') {
            c->pos++;
            out[o] = '\0';
            return out;
        }
        if (ch == '\\') {
            c->pos++;
            ch = (unsigned char)s[c->pos];
        }
        /* qdtext and quoted-pair both exclude controls other than HTAB. */
        if (ch == '\0' || (ch < 0x20 && ch != '\t') || ch == 0x7f) {
            free(out);
            fail(c, err,
                 ch == '\0' ? "unterminated quoted string"
                            : "control character in quoted string");
            return NULL;
        }
        out[o++] = (char)ch;
        c->pos++;
    }
}

/* auth-param = token BWS "=" BWS ( token / quoted-string ) */
static bool parse_param(struct cursor *c, struct ac_challenge *ch,
                        struct ac_err *err)
{
    struct ac_auth_param *np;
    char *name = NULL, *value = NULL;
    size_t n = token_len(c, c->pos), i;

    if (n == 0) {
        return fail(c, err, "expected parameter name");
    }
    name = strndup(c->s + c->pos, n);
    if (name == NULL) {
        goto nomem;
    }
    for (i = 0; i < n; i++) {
        name[i] = (char)tolower((unsigned char)name[i]);
    }
    c->pos += n;
    skip_ows(c);
    if (c->s[c->pos] != '=') {
        fail(c, err, "expected '=' after parameter name");
        goto fail;
    }
    c->pos++;
    skip_ows(c);
    if (c->s[c->pos] == '"') {
        value = parse_quoted(c, err);
        if (value == NULL) {
            goto fail;
        }
    } else {
        n = token_len(c, c->pos);
        if (n == 0) {
            fail(c, err, "expected token or quoted string as value");
            goto fail;
        }
        value = strndup(c->s + c->pos, n);
        if (value == NULL) {
            goto nomem;
        }
        c->pos += n;
    }
    if (ac_challenge_param(ch, name) != NULL) {
        ch->has_duplicate = true;
    }
    np = realloc(ch->params, (ch->nparams + 1) * sizeof(*np));
    if (np == NULL) {
        goto nomem;
    }
    ch->params = np;
    np[ch->nparams].name = name;
    np[ch->nparams].value = value;
    ch->nparams++;
    return true;
nomem:
    AC_ERR(err, AC_ERR_NOMEM, "out of memory");
fail:
    free(name);
    free(value);
    return false;
}

/* Does the cursor stand on `token BWS "="`, i.e. an auth-param? */
static bool at_param(const struct cursor *c)
{
    size_t at = c->pos + token_len(c, c->pos);

    if (at == c->pos) {
        return false;
    }
    while (c->s[at] == ' ' || c->s[at] == '\t') {
        at++;
    }
    return c->s[at] == '=';
}

/* Is there a token68 at the cursor? Only if the token68 and its padding
 * are followed by OWS and then a comma or the end. Returns its length. */
static size_t token68_len(const struct cursor *c)
{
    size_t n = 0, at;

    while (is_t68char((unsigned char)c->s[c->pos + n])) {
        n++;
    }
    if (n == 0) {
        return 0;
    }
    while (c->s[c->pos + n] == '=') {
        n++;
    }
    at = c->pos + n;
    while (c->s[at] == ' ' || c->s[at] == '\t') {
        at++;
    }
    return c->s[at] == ',' || c->s[at] == '\0' ? n : 0;
}

/* Skip OWS and empty list elements (RFC 9110 §5.6.1). Returns whether a
 * comma was crossed. */
static bool skip_list_sep(struct cursor *c)
{
    bool comma = false;

    for (;;) {
        skip_ows(c);
        if (c->s[c->pos] != ',') {
            return comma;
        }
        comma = true;
        c->pos++;
    }
}

/* #auth-param after a scheme: continue while a comma leads to another
 * `token =`; stop (cursor on the next scheme) otherwise. */
static bool parse_params(struct cursor *c, struct ac_challenge *ch,
                         struct ac_err *err)
{
    for (;;) {
        if (!parse_param(c, ch, err)) {
            return false;
        }
        skip_ows(c);
        if (c->s[c->pos] == '\0') {
            return true;
        }
        if (c->s[c->pos] != ',') {
            return fail(c, err, "expected ',' after parameter");
        }
        skip_list_sep(c);
        if (!at_param(c)) {
            return true;
        }
    }
}

/* What follows a scheme: nothing, a token68, or auth-params. */
static bool parse_challenge_body(struct cursor *c, struct ac_challenge *ch,
                                 struct ac_err *err)
{
    size_t start = c->pos, n;

    skip_ows(c);
    if (c->s[c->pos] == '\0' || c->s[c->pos] == ',') {
        return true;
    }
    if (c->pos == start) {
        return fail(c, err, "expected space after auth-scheme");
    }
    n = token68_len(c);
    if (n > 0) {
        ch->token68 = strndup(c->s + c->pos, n);
        if (ch->token68 == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            return false;
        }
        c->pos += n;
        return true;
    }
    return parse_params(c, ch, err);
}

/* 1#challenge on one header line. Each challenge body ends at the end of
 * the line, before a comma, or just past a comma with the cursor on the
 * next scheme, so no separator check is needed between challenges. */
static bool parse_line(struct cursor *c, struct ac_challenges *out,
                       struct ac_err *err)
{
    struct ac_challenge *ch;
    size_t before = out->n, n;

    for (;;) {
        skip_list_sep(c);
        if (c->s[c->pos] == '\0') {
            break;
        }
        n = token_len(c, c->pos);
        if (n == 0) {
            return fail(c, err, "expected auth-scheme");
        }
        ch = challenge_new(out, c, n, err);
        if (ch == NULL || !parse_challenge_body(c, ch, err)) {
            return false;
        }
    }
    if (out->n == before) {
        return fail(c, err, "no challenge");
    }
    return true;
}

bool ac_wwwauth_parse(const char *const *lines, size_t nlines,
                      struct ac_challenges *out, struct ac_err *err)
{
    struct cursor c;
    size_t i;

    out->items = NULL;
    out->n = 0;
    for (i = 0; i < nlines; i++) {
        c.s = lines[i];
        c.pos = 0;
        c.line = i;
        if (c.s == NULL) {
            AC_ERR(err, AC_ERR_INVALID, "WWW-Authenticate line %zu missing",
                   i + 1);
            goto fail;
        }
        if (!parse_line(&c, out, err)) {
            goto fail;
        }
    }
    return true;
fail:
    ac_challenges_free(out);
    return false;
}

const struct ac_challenge *ac_wwwauth_find(const struct ac_challenges *cs,
                                           const char *scheme)
{
    size_t i;

    if (cs == NULL || scheme == NULL) {
        return NULL;
    }
    for (i = 0; i < cs->n; i++) {
        if (strcasecmp(cs->items[i].scheme, scheme) == 0) {
            return &cs->items[i];
        }
    }
    return NULL;
}

const char *ac_challenge_param(const struct ac_challenge *c, const char *name)
{
    size_t i;

    if (c == NULL || name == NULL) {
        return NULL;
    }
    for (i = 0; i < c->nparams; i++) {
        if (strcasecmp(c->params[i].name, name) == 0) {
            return c->params[i].value;
        }
    }
    return NULL;
}
