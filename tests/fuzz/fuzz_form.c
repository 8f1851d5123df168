/* libFuzzer target: application/x-www-form-urlencoded and percent-decoding
 * (common/form.c), what every mock endpoint and the client's callback
 * listener parse, and the redaction of forms and URLs (common/redact.c)
 * that every report applies to them. Properties: parsed pairs have
 * non-empty, distinct names and re-encode to a form that parses to the
 * same pairs; decoding never grows the text; a failure says why. */
#include "tests/fuzz/fuzz.h"

#include "common/form.h"
#include "common/redact.h"

static void check_form(const struct ac_form *f)
{
    struct ac_form again;
    struct ac_err err = {0};
    char *enc = ac_form_encode(f);

    FZ_ASSERT(enc != NULL);
    for (size_t i = 0; i < f->n; i++) {
        FZ_ASSERT(f->pairs[i].name[0] != '\0');
        for (size_t k = 0; k < i; k++) {
            FZ_ASSERT(strcmp(f->pairs[i].name, f->pairs[k].name) != 0);
        }
    }
    FZ_ASSERT(ac_form_parse(enc, &again, &err));
    FZ_ASSERT(again.n == f->n);
    for (size_t i = 0; i < f->n; i++) {
        FZ_ASSERT(strcmp(again.pairs[i].name, f->pairs[i].name) == 0);
        FZ_ASSERT(strcmp(again.pairs[i].value, f->pairs[i].value) == 0);
    }
    ac_form_free(&again);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);
    struct ac_form f;
    struct ac_err err = {0};
    char *dec;

    if (ac_form_parse(text, &f, &err)) {
        check_form(&f);
    } else {
        FZ_ASSERT(err.msg[0] != '\0' && f.n == 0);
    }
    ac_form_free(&f);
    for (int plus = 0; plus < 2; plus++) {
        memset(&err, 0, sizeof(err));
        dec = ac_pct_decode(text, size, plus, &err);
        FZ_ASSERT(dec != NULL ? strlen(dec) <= size : err.msg[0] != '\0');
        free(dec);
    }
    free(ac_redact_form(text));
    free(ac_redact_url(text));
    free(ac_redact_body("application/x-www-form-urlencoded", text, NULL));
    free(text);
    return 0;
}
