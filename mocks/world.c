/* The world of one scenario (see world.h): owns the shared state (lock,
 * transcript, token table), the MCP server and the authorization servers,
 * and wires them together: each AS checks `resource` against the MCP
 * server's canonical URI, the MCP server trusts every AS's issuer. */
#include "mocks/world.h"

#include <stdlib.h>
#include <string.h>

#include "mocks/as.h"
#include "mocks/mcp.h"
#include "mocks/transcript.h"
#include "mocks/world_int.h"

struct mo_world {
    struct mo_shared sh;
    bool lock_ready;
    struct mo_mcp *mcp;
    struct mo_as **as;
    size_t nas;
};

/* Start the authorization servers; `list` may be NULL (one default AS). */
static bool start_ases(struct mo_world *w, const json_t *list,
                       struct ac_err *err)
{
    json_t *dflt = NULL;
    size_t i;
    const json_t *conf;
    bool ok = true;

    if (list == NULL || json_array_size(list) == 0) {
        dflt = json_pack("[{s:s}]", "id", "as");
        list = dflt;
    }
    w->as = calloc(json_array_size(list), sizeof(*w->as));
    if (w->as == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the world");
        ok = false;
    }
    json_array_foreach(list, i, conf)
    {
        if (!ok) {
            break;
        }
        ok = mo_as_start(conf, &w->sh, &w->as[w->nas], err);
        if (ok) {
            ok = json_array_append_new(w->sh.issuers, json_string(mo_as_issuer(
                                                          w->as[w->nas]))) == 0;
            w->nas++;
        }
    }
    json_decref(dflt);
    return ok;
}

bool mo_world_start(const json_t *scenario, struct mo_world **out,
                    struct ac_err *err)
{
    struct mo_world *w = calloc(1, sizeof(*w));
    bool ok;

    *out = NULL;
    if (w == NULL || pthread_mutex_init(&w->sh.lock, NULL) != 0) {
        free(w);
        AC_ERR(err, AC_ERR_NOMEM, "cannot create the world");
        return false;
    }
    w->lock_ready = true;
    w->sh.issuers = json_array();
    if (w->sh.issuers == NULL || !mo_transcript_new(&w->sh.transcript, err)) {
        mo_world_stop(w);
        return false;
    }
    /* Handlers wait on the lock until the world is wired. */
    pthread_mutex_lock(&w->sh.lock);
    ok = mo_mcp_start(json_object_get(scenario, "mcp_server"), &w->sh, &w->mcp,
                      err) &&
         start_ases(w, json_object_get(scenario, "authorization_servers"), err);
    pthread_mutex_unlock(&w->sh.lock);
    if (!ok) {
        ac_err_prefix(err, "starting the mock world");
        mo_world_stop(w);
        return false;
    }
    *out = w;
    return true;
}

void mo_world_stop(struct mo_world *w)
{
    if (w == NULL) {
        return;
    }
    /* Servers first: their completion callbacks still record. */
    mo_mcp_free(w->mcp);
    for (size_t i = 0; i < w->nas; i++) {
        mo_as_free(w->as[i]);
    }
    free(w->as);
    mo_tokens_free(&w->sh.tokens);
    mo_transcript_free(w->sh.transcript);
    json_decref(w->sh.issuers);
    free(w->sh.resource);
    free(w->sh.prm_url);
    if (w->lock_ready) {
        pthread_mutex_destroy(&w->sh.lock);
    }
    free(w);
}

const char *mo_world_mcp_url(const struct mo_world *w)
{
    return mo_mcp_url(w->mcp);
}

const char *mo_world_control_url(const struct mo_world *w)
{
    (void)w;
    return NULL; /* no control server yet (docs/MOCKS.md) */
}

const char *mo_world_resource(const struct mo_world *w)
{
    return w->sh.resource;
}

const char *mo_world_prm_url(const struct mo_world *w)
{
    return w->sh.prm_url;
}

size_t mo_world_as_count(const struct mo_world *w)
{
    return w->nas;
}

const char *mo_world_as_id(const struct mo_world *w, size_t i)
{
    return i < w->nas ? mo_as_id(w->as[i]) : NULL;
}

const char *mo_world_issuer(const struct mo_world *w, size_t i)
{
    return i < w->nas ? mo_as_issuer(w->as[i]) : NULL;
}

bool mo_world_record(struct mo_world *w, const json_t *exchange,
                     struct ac_err *err)
{
    json_t *copy;

    if (!json_is_object(exchange)) {
        AC_ERR(err, AC_ERR_INVALID, "an exchange must be a JSON object");
        return false;
    }
    copy = json_deep_copy(exchange);
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory recording an exchange");
        return false;
    }
    return mo_transcript_append_take(w->sh.transcript, copy, err);
}

json_t *mo_world_transcript(struct mo_world *w)
{
    return mo_transcript_snapshot(w->sh.transcript);
}

json_t *mo_world_secrets(struct mo_world *w)
{
    return mo_transcript_secrets(w->sh.transcript);
}
