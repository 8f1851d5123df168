/* Redaction of secrets in everything written out: transcripts, traces,
 * reports. The one list of secret names lives here. A secret becomes
 * "[redacted:<first 8 hex of its SHA-256>]" so one value can be followed
 * through a flow without being learnt.
 *
 * Redaction never fails on malformed input: what cannot be parsed is
 * returned with only the known secrets replaced. A NULL input gives NULL. */
#include "common/redact.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/form.h"

/* Redacted output may grow a little past its input; cap generously. */
#define REDACT_MAX (64u * 1024u * 1024u)

static const char *const SECRET_NAMES[] = {
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "client_assertion",
    "assertion",
    "token",
    "password",
    "registration_access_token",
    "device_code",
    "subject_token",
    "actor_token",
    "private_key",
    /* MCP_CONFORMANCE_CONTEXT keys of the official WIF / EMA scenarios */
    "valid_jwt",
    "wrong_audience_jwt",
    "expired_jwt",
    "idp_id_token",
    "idp_client_secret",
    NULL,
};

/* RFC 7518 §6.3.2 / §6.4: private members of an RSA, EC or oct JWK. Only
 * redacted inside objects that carry "kty", as "p" or "q" elsewhere are
 * ordinary names. */
static const char *const JWK_PRIVATE[] = {"d",  "p",   "q", "dp", "dq",
                                          "qi", "oth", "k", NULL};

static bool in_list(const char *const *list, const char *name, size_t n)
{
    size_t i;

    for (i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) == n && strncasecmp(list[i], name, n) == 0) {
            return true;
        }
    }
    return false;
}

char *ac_redact_value(const char *secret)
{
    char *hex = ac_sha256_hex(secret != NULL ? secret : "");
    char *out = NULL;

    if (hex == NULL) {
        return NULL;
    }
    if (asprintf(&out, "[redacted:%.8s]", hex) < 0) {
        out = NULL;
    }
    free(hex);
    return out;
}

bool ac_redact_is_secret_name(const char *name)
{
    return name != NULL && in_list(SECRET_NAMES, name, strlen(name));
}

/* Append the redaction tag of `secret` to `b`. */
static bool append_tag(struct ac_buf *b, const char *secret)
{
    char *tag = ac_redact_value(secret);
    bool ok = tag != NULL && ac_buf_append_str(b, tag, NULL);

    free(tag);
    return ok;
}

/* One "name=value" segment of a form: the value is tagged by its decoded
 * form, so the same secret gets the same tag in JSON and in a form. */
static bool redact_segment(struct ac_buf *b, const char *seg, size_t n)
{
    const char *eq = memchr(seg, '=', n);
    char *name = NULL, *value = NULL;
    bool ok;

    if (eq == NULL) {
        return ac_buf_append(b, seg, n, NULL);
    }
    name = ac_pct_decode(seg, (size_t)(eq - seg), true, NULL);
    if (!ac_redact_is_secret_name(name != NULL ? name : "")) {
        free(name);
        return ac_buf_append(b, seg, n, NULL);
    }
    value = ac_pct_decode(eq + 1, n - (size_t)(eq + 1 - seg), true, NULL);
    if (value == NULL) {
        value = strndup(eq + 1, n - (size_t)(eq + 1 - seg));
    }
    ok = value != NULL && ac_buf_append(b, seg, (size_t)(eq + 1 - seg), NULL) &&
         append_tag(b, value);
    free(name);
    ac_secret_free(value);
    return ok;
}

static bool redact_form_into(struct ac_buf *b, const char *form, size_t len)
{
    size_t pos = 0, n;

    while (pos < len) {
        n = strcspn(form + pos, "&");
        if (n > len - pos) {
            n = len - pos;
        }
        if (!redact_segment(b, form + pos, n)) {
            return false;
        }
        pos += n;
        if (pos < len) {
            if (!ac_buf_append(b, "&", 1, NULL)) {
                return false;
            }
            pos++;
        }
    }
    return true;
}

static char *finish(struct ac_buf *b, bool ok)
{
    if (!ok) {
        ac_buf_free(b);
        return NULL;
    }
    return ac_buf_steal(b);
}

char *ac_redact_form(const char *form)
{
    struct ac_buf b;

    if (form == NULL) {
        return NULL;
    }
    ac_buf_init(&b, REDACT_MAX);
    return finish(&b, redact_form_into(&b, form, strlen(form)));
}

/* The password of "user:password@" in an authority. */
static bool redact_userinfo(struct ac_buf *b, const char *auth, size_t n)
{
    const char *at = NULL, *colon;
    size_t i;
    char *pw;
    bool ok;

    for (i = 0; i < n; i++) {
        if (auth[i] == '@') {
            at = auth + i;
        }
    }
    colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon == NULL) {
        return ac_buf_append(b, auth, n, NULL);
    }
    pw = strndup(colon + 1, (size_t)(at - colon - 1));
    ok = pw != NULL &&
         ac_buf_append(b, auth, (size_t)(colon + 1 - auth), NULL) &&
         append_tag(b, pw) &&
         ac_buf_append(b, at, n - (size_t)(at - auth), NULL);
    ac_secret_free(pw);
    return ok;
}

char *ac_redact_url(const char *url)
{
    struct ac_buf b;
    const char *auth, *q, *hash;
    size_t alen;
    bool ok;

    if (url == NULL) {
        return NULL;
    }
    ac_buf_init(&b, REDACT_MAX);
    auth = strstr(url, "://");
    auth = auth != NULL ? auth + 3 : url;
    alen = strcspn(auth, "/?#");
    q = strchr(auth + alen, '?');
    hash = strchr(auth + alen, '#');
    if (q != NULL && hash != NULL && hash < q) {
        q = NULL;
    }
    ok = ac_buf_append(&b, url, (size_t)(auth - url), NULL) &&
         redact_userinfo(&b, auth, alen);
    /* The path is kept; the query and the fragment (where the implicit
     * grant put access_token, RFC 6749 §4.2.2) are redacted as forms. */
    if (ok && q != NULL) {
        ok = ac_buf_append(&b, auth + alen, (size_t)(q + 1 - auth - alen),
                           NULL) &&
             redact_form_into(&b, q + 1,
                              hash != NULL ? (size_t)(hash - q - 1)
                                           : strlen(q + 1));
    } else if (ok) {
        ok = ac_buf_append(&b, auth + alen,
                           hash != NULL ? (size_t)(hash - auth - alen)
                                        : strlen(auth + alen),
                           NULL);
    }
    if (ok && hash != NULL) {
        ok = ac_buf_append(&b, "#", 1, NULL) &&
             redact_form_into(&b, hash + 1, strlen(hash + 1));
    }
    return finish(&b, ok);
}

/* "Scheme credentials": keep the scheme (RFC 9110 §11.4), tag the rest. */
static char *redact_credentials(const char *value)
{
    struct ac_buf b;
    size_t n = strcspn(value, " \t");
    size_t sp = n + strspn(value + n, " \t");
    bool ok;

    ac_buf_init(&b, REDACT_MAX);
    if (value[sp] == '\0') {
        ok = append_tag(&b, value);
    } else {
        ok = ac_buf_append(&b, value, sp, NULL) && append_tag(&b, value + sp);
    }
    return finish(&b, ok);
}

/* Cookie: a=1; b=2 (RFC 6265 §4.2) — every value tagged. Set-Cookie:
 * only the first pair is the cookie; attributes (Path, ...) are kept. */
static char *redact_cookies(const char *value, bool set_cookie)
{
    struct ac_buf b;
    const char *p = value;
    bool ok = true, first = true;
    size_t n;

    ac_buf_init(&b, REDACT_MAX);
    while (ok && *p != '\0') {
        n = strcspn(p, ";");
        if (first || !set_cookie) {
            char *seg = strndup(p, n);
            char *eq = seg != NULL ? strchr(seg, '=') : NULL;
            ok = seg != NULL &&
                 (eq == NULL
                      ? ac_buf_append(&b, p, n, NULL)
                      : ac_buf_append(&b, seg, (size_t)(eq + 1 - seg), NULL) &&
                            append_tag(&b, eq + 1));
            ac_secret_free(seg);
        } else {
            ok = ac_buf_append(&b, p, n, NULL);
        }
        first = false;
        p += n;
        if (ok && *p == ';') {
            ok = ac_buf_append(&b, ";", 1, NULL);
            p++;
        }
    }
    return finish(&b, ok);
}

char *ac_redact_header(const char *name, const char *value)
{
    if (name == NULL || value == NULL) {
        return value != NULL ? strdup(value) : NULL;
    }
    if (strcasecmp(name, "Authorization") == 0 ||
        strcasecmp(name, "Proxy-Authorization") == 0) {
        return redact_credentials(value);
    }
    /* RFC 9449 §4: a DPoP proof is replayable within its window. */
    if (strcasecmp(name, "DPoP") == 0) {
        return ac_redact_value(value);
    }
    if (strcasecmp(name, "Cookie") == 0) {
        return redact_cookies(value, false);
    }
    if (strcasecmp(name, "Set-Cookie") == 0) {
        return redact_cookies(value, true);
    }
    /* A redirect carries the authorization code in its query (RFC 6749
     * §4.1.2), so Location is redacted as a URL. */
    if (strcasecmp(name, "Location") == 0) {
        return ac_redact_url(value);
    }
    return strdup(value);
}

static json_t *redacted_json_value(const json_t *v)
{
    char *tag = ac_redact_value(json_string_value(v));
    json_t *out = tag != NULL ? json_string(tag) : NULL;

    free(tag);
    return out;
}

static json_t *redact_object(const json_t *obj)
{
    json_t *out = json_object(), *nv;
    const char *key;
    json_t *val;
    bool jwk = json_object_get(obj, "kty") != NULL;

    if (out == NULL) {
        return NULL;
    }
    /* json_object_foreach takes a non-const object; it does not modify. */
    json_object_foreach((json_t *)obj, key, val)
    {
        /* Secrets are strings: a JSON-RPC error's numeric "code" is not
         * an authorization code and stays readable. */
        if (json_is_string(val) &&
            (ac_redact_is_secret_name(key) ||
             (jwk && in_list(JWK_PRIVATE, key, strlen(key))))) {
            nv = redacted_json_value(val);
        } else {
            nv = ac_redact_json(val);
        }
        if (nv == NULL || json_object_set_new(out, key, nv) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *ac_redact_json(const json_t *v)
{
    json_t *out, *nv;
    size_t i;

    if (v == NULL) {
        return NULL;
    }
    if (json_is_object(v)) {
        return redact_object(v);
    }
    if (!json_is_array(v)) {
        return json_deep_copy(v);
    }
    out = json_array();
    for (i = 0; out != NULL && i < json_array_size(v); i++) {
        nv = ac_redact_json(json_array_get(v, i));
        if (nv == NULL || json_array_append_new(out, nv) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* Media type of a Content-Type value, compared without parameters. */
static bool media_is(const char *ct, const char *type)
{
    size_t n = strcspn(ct, "; \t");

    return strlen(type) == n && strncasecmp(ct, type, n) == 0;
}

/* application/json or any structured "+json" type (RFC 6839 §3.1). */
static bool media_is_json(const char *ct)
{
    size_t n = strcspn(ct, "; \t");

    return media_is(ct, "application/json") ||
           (n >= 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

static char *redact_json_text(const char *body)
{
    json_t *v = json_loads(body, JSON_DECODE_ANY, NULL);
    json_t *r = ac_redact_json(v);
    char *out =
        r != NULL ? json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    json_decref(v);
    json_decref(r);
    return out;
}

char *ac_redact_body(const char *content_type, const char *body,
                     const json_t *extra)
{
    char *structured = NULL, *out;

    if (body == NULL) {
        return NULL;
    }
    if (content_type != NULL && media_is_json(content_type)) {
        structured = redact_json_text(body);
    } else if (content_type != NULL &&
               media_is(content_type, "application/x-www-form-urlencoded")) {
        structured = ac_redact_form(body);
    }
    /* Known secrets are replaced in every case: a secret may also appear
     * under an innocent name (an error_description echoing a token). */
    out = ac_redact_known(structured != NULL ? structured : body, extra);
    free(structured);
    return out;
}

/* Known-secret replacement.
 *
 * Trying every secret at every character is O(text x secrets) and took
 * seconds on a long transcript, so the secrets are indexed:
 *
 * - `full`: every distinct secret under a signature of its length and of
 *   its first and last 8 bytes, so indexing reads only those (JWTs run to
 *   a kilobyte, and callers index per call) yet JWTs sharing a header
 *   still differ;
 * - `pre`: the set of KEY_BYTES-byte prefixes of secrets at least that
 *   long, each with its longest secret, so most positions are rejected by
 *   one probe;
 * - `used`: which lengths occur at all.
 *
 * At a position whose prefix is known (or if secrets shorter than KEY_BYTES
 * exist), the signature of the text's next l bytes is looked up for each
 * used length l up to the longest candidate, every hit is verified with
 * memcmp, and the longest wins: the old semantics, without the scan of
 * every secret. */
#define KEY_BYTES 4

struct known {
    const char *s; /* borrowed from the secrets array */
    size_t len;
    uint64_t sig;
    char *tag; /* computed on first use */
};

struct prefix_slot {
    uint32_t key;
    bool used;
    size_t maxlen; /* longest secret with this prefix */
};

struct ac_redact_index {
    struct known *full; /* open addressing, nfull slots (a power of 2) */
    size_t nfull;
    struct prefix_slot *pre; /* likewise, npre slots */
    size_t npre;
    unsigned char *used; /* used[l]: some secret has length l */
    size_t maxlen;
    size_t short_max; /* longest secret shorter than KEY_BYTES, 0 if none */
    size_t ntags;     /* tags cached in `full` */
};

/* Up to 8 bytes at `p` as a word (zero-padded). */
static uint64_t word_at(const char *p, size_t n)
{
    uint64_t w = 0;

    memcpy(&w, p, n < sizeof(w) ? n : sizeof(w));
    return w;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* The signature of the `n` bytes at `p` (n > 0): O(1), not a full hash;
 * every hit is verified with memcmp. */
static uint64_t signature(const char *p, size_t n)
{
    size_t t = min_size(n, 8);

    return word_at(p, n) * 0x9e3779b97f4a7c15u ^
           word_at(p + n - t, t) * 0xc2b2ae3d27d4eb4fu ^ n;
}

/* Slot index for a hash in a table of `n` (power of 2) slots. */
static size_t slot_of(uint64_t h, size_t n)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return (size_t)h & (n - 1);
}

static uint32_t prefix_key(const char *p)
{
    uint32_t k;

    memcpy(&k, p, sizeof(k));
    return k;
}

/* The smallest power of 2 at least twice `n` (load factor <= 1/2). */
static size_t table_size(size_t n)
{
    size_t size = 16;

    while (size < 2 * n) {
        size *= 2;
    }
    return size;
}

/* The entry for the `n` bytes at `p` with signature `sig`, or NULL. */
static struct known *find_full(const struct ac_redact_index *ix, const char *p,
                               size_t n, uint64_t sig)
{
    size_t i = slot_of(sig, ix->nfull);
    struct known *k;

    for (;; i = (i + 1) & (ix->nfull - 1)) {
        k = &ix->full[i];
        if (k->s == NULL) {
            return NULL;
        }
        if (k->len == n && k->sig == sig && memcmp(k->s, p, n) == 0) {
            return k;
        }
    }
}

static struct prefix_slot *find_prefix(const struct ac_redact_index *ix,
                                       uint32_t key)
{
    size_t i = slot_of(key, ix->npre);

    for (;; i = (i + 1) & (ix->npre - 1)) {
        if (!ix->pre[i].used || ix->pre[i].key == key) {
            return &ix->pre[i];
        }
    }
}

/* Add one secret; duplicates are kept once (same text, same tag). */
static void index_add(struct ac_redact_index *ix, const char *s)
{
    size_t n = strlen(s);
    uint64_t sig = signature(s, n);
    size_t i = slot_of(sig, ix->nfull);
    struct prefix_slot *ps;
    struct known *k;

    for (;; i = (i + 1) & (ix->nfull - 1)) {
        k = &ix->full[i];
        if (k->s == NULL) {
            break;
        }
        if (k->len == n && k->sig == sig && memcmp(k->s, s, n) == 0) {
            return;
        }
    }
    ix->full[i] = (struct known){.s = s, .len = n, .sig = sig};
    ix->maxlen = n > ix->maxlen ? n : ix->maxlen;
    if (n < KEY_BYTES) {
        ix->short_max = n > ix->short_max ? n : ix->short_max;
        return;
    }
    ps = find_prefix(ix, prefix_key(s));
    ps->used = true;
    ps->key = prefix_key(s);
    ps->maxlen = n > ps->maxlen ? n : ps->maxlen;
}

/* How many members of `secrets` are non-empty strings. */
static size_t count_secrets(const json_t *secrets)
{
    size_t i, n = 0;
    const char *s;

    for (i = 0; i < json_array_size(secrets); i++) {
        s = json_string_value(json_array_get(secrets, i));
        n += s != NULL && s[0] != '\0';
    }
    return n;
}

/* Fill the table of used lengths once all secrets are in. */
static bool index_lengths(struct ac_redact_index *ix)
{
    size_t i;

    ix->used = calloc(ix->maxlen + 1, 1);
    if (ix->used == NULL) {
        return false;
    }
    for (i = 0; i < ix->nfull; i++) {
        if (ix->full[i].s != NULL) {
            ix->used[ix->full[i].len] = 1;
        }
    }
    return true;
}

struct ac_redact_index *ac_redact_index_new(const json_t *secrets)
{
    struct ac_redact_index *ix = calloc(1, sizeof(*ix));
    size_t i, n = count_secrets(secrets);
    const char *s;

    if (ix == NULL) {
        return NULL;
    }
    ix->nfull = table_size(n);
    ix->npre = table_size(n);
    ix->full = calloc(ix->nfull, sizeof(*ix->full));
    ix->pre = calloc(ix->npre, sizeof(*ix->pre));
    if (ix->full == NULL || ix->pre == NULL) {
        ac_redact_index_free(ix);
        return NULL;
    }
    for (i = 0; i < json_array_size(secrets); i++) {
        s = json_string_value(json_array_get(secrets, i));
        if (s != NULL && s[0] != '\0') {
            index_add(ix, s);
        }
    }
    if (!index_lengths(ix)) {
        ac_redact_index_free(ix);
        return NULL;
    }
    return ix;
}

void ac_redact_index_free(struct ac_redact_index *ix)
{
    size_t i;

    if (ix == NULL) {
        return;
    }
    for (i = 0; ix->ntags > 0 && i < ix->nfull; i++) {
        free(ix->full[i].tag);
    }
    /* The tables hold prefixes and hashes of secrets. */
    if (ix->full != NULL) {
        OPENSSL_cleanse(ix->full, ix->nfull * sizeof(*ix->full));
    }
    if (ix->pre != NULL) {
        OPENSSL_cleanse(ix->pre, ix->npre * sizeof(*ix->pre));
    }
    free(ix->full);
    free(ix->pre);
    free(ix->used);
    free(ix);
}

/* The longest secret matching at `p` (`rest` bytes left), or NULL. */
static struct known *match_secret(const struct ac_redact_index *ix,
                                  const char *p, size_t rest)
{
    struct known *best = NULL, *k;
    size_t lim = ix->short_max, l;
    const struct prefix_slot *ps;

    if (rest >= KEY_BYTES) {
        ps = find_prefix(ix, prefix_key(p));
        if (ps->used && ps->maxlen > lim) {
            lim = ps->maxlen;
        }
    }
    lim = min_size(lim, rest);
    for (l = 1; l <= lim; l++) {
        if (ix->used[l] && (k = find_full(ix, p, l, signature(p, l))) != NULL) {
            best = k;
        }
    }
    return best;
}

static bool append_known_tag(struct ac_redact_index *ix, struct ac_buf *b,
                             struct known *k)
{
    if (k->tag == NULL) {
        k->tag = ac_redact_value(k->s);
        ix->ntags += k->tag != NULL;
    }
    return k->tag != NULL && ac_buf_append_str(b, k->tag, NULL);
}

char *ac_redact_index_apply(struct ac_redact_index *ix, const char *text)
{
    struct ac_buf b;
    size_t len, pos, run;
    struct known *k;
    bool ok = true;

    if (text == NULL || ix == NULL) {
        return text != NULL ? strdup(text) : NULL;
    }
    len = strlen(text);
    ac_buf_init(&b, REDACT_MAX);
    /* One left-to-right pass, longest match first, so a tag just written
     * is never itself searched and overlapping secrets do not interfere.
     * Unmatched bytes are copied in runs. */
    for (pos = run = 0; ok && pos < len;) {
        k = match_secret(ix, text + pos, len - pos);
        if (k == NULL) {
            pos++;
            continue;
        }
        ok = ac_buf_append(&b, text + run, pos - run, NULL) &&
             append_known_tag(ix, &b, k);
        pos += k->len;
        run = pos;
    }
    ok = ok && ac_buf_append(&b, text + run, len - run, NULL);
    return finish(&b, ok);
}

bool ac_redact_index_hit(const struct ac_redact_index *ix, const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;

    for (size_t pos = 0; ix != NULL && pos < len; pos++) {
        if (match_secret(ix, text + pos, len - pos) != NULL) {
            return true;
        }
    }
    return false;
}

char *ac_redact_known(const char *text, const json_t *secrets)
{
    struct ac_redact_index *ix;
    char *out;

    if (text == NULL) {
        return NULL;
    }
    if (!json_is_array(secrets) || json_array_size(secrets) == 0) {
        return strdup(text);
    }
    ix = ac_redact_index_new(secrets);
    out = ix != NULL ? ac_redact_index_apply(ix, text) : NULL;
    ac_redact_index_free(ix);
    return out;
}
