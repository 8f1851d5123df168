/* Reading transcript exchanges: see transcript.h. */
#include "tests/support/transcript.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/form.h"
#include "common/json.h"

const char *ts_req_header(const json_t *x, const char *name)
{
    size_t i;
    const json_t *h;

    json_array_foreach(
        json_object_get(json_object_get(x, "request"), "headers"), i, h)
    {
        if (strcasecmp(json_string_value(json_array_get(h, 0)), name) == 0) {
            return json_string_value(json_array_get(h, 1));
        }
    }
    return NULL;
}

char *ts_req_param(const json_t *x, const char *name)
{
    const char *text = strcmp(ac_json_str(x, "method"), "GET") == 0
                           ? ac_json_str(x, "query")
                           : ac_json_str(json_object_get(x, "request"), "body");
    struct ac_form form;
    char *v = NULL;

    ac_form_init(&form);
    if (text != NULL && ac_form_parse(text, &form, NULL) &&
        ac_form_get(&form, name) != NULL) {
        v = strdup(ac_form_get(&form, name));
    }
    ac_form_free(&form);
    return v;
}
