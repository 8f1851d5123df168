/* The mock world of one scenario: its authorization server(s), its MCP
 * server and a control endpoint, all on 127.0.0.1 with kernel-assigned
 * ports, sharing one ordered transcript.
 *
 * This is the only mocks/ header the harness needs. Mocks never judge: they
 * answer as the scenario says and record every exchange. */
#ifndef MO_WORLD_H
#define MO_WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

struct mo_world;

/* Start every server a scenario describes. `scenario` is the whole scenario
 * document, already validated by the harness (harness/scenario.c); it is
 * borrowed for the duration of the call only (the world copies what it
 * needs). On success *out is a new world (mo_world_stop). */
bool mo_world_start(const json_t *scenario, struct mo_world **out,
                    struct ac_err *err);

/* Options the harness sets, not the scenario. */
struct mo_world_options {
    /* /authorize renders an HTML approve/deny page (client name, redirect
     * host) instead of approving at once (authcheck serve --interactive). */
    bool interactive;
    /* Threads per server (0, 1: one polling thread; n > 1: an epoll
     * pool of n). */
    unsigned threads;
    /* Caps for long-running worlds (authcheck serve); 0 = unlimited. Past
     * them the oldest half of the exchanges / tokens is forgotten. */
    size_t max_exchanges;
    size_t max_tokens;
};

/* As mo_world_start, with options (`opts` borrowed; NULL: all false). */
bool mo_world_start_with(const json_t *scenario,
                         const struct mo_world_options *opts,
                         struct mo_world **out, struct ac_err *err);

/* Stop all servers and free the world. NULL-safe. */
void mo_world_stop(struct mo_world *w);

/* The MCP authorization extensions' values for client.context
 * placeholders, minted now at the world's clock: wif_valid_jwt,
 * wif_wrong_audience_jwt, wif_expired_jwt, wif_issuer,
 * wif_assertion_file (scenario "workload_issuer"), idp_id_token,
 * idp_issuer, idp_token_endpoint ("enterprise_idp"). A new object of
 * strings ({} without those blocks), NULL when out of memory. */
json_t *mo_world_ext_vars(struct mo_world *w);

/* Give the workload a token file (written now and after every clock
 * advance): a no-op without "workload_issuer". */
bool mo_world_set_workload_file(struct mo_world *w, const char *path,
                                struct ac_err *err);

/* Borrowed URLs, valid until mo_world_stop. */
const char *mo_world_mcp_url(const struct mo_world *w);     /* MCP endpoint */
const char *mo_world_control_url(const struct mo_world *w); /* control API */
/* The endpoint URL of the MCP server named `id`: "mcp" (the scenario's
 * mcp_server) or the id of one of its "mcp_servers_extra"; NULL when
 * there is none. Borrowed, valid until mo_world_stop. */
const char *mo_world_mcp_url_by_id(const struct mo_world *w, const char *id);
/* The MCP server's canonical resource URI (RFC 8707; what `resource` must
 * equal) and the URL of its Protected Resource Metadata (RFC 9728). */
const char *mo_world_resource(const struct mo_world *w);
const char *mo_world_prm_url(const struct mo_world *w);
size_t mo_world_as_count(const struct mo_world *w);
const char *mo_world_as_id(const struct mo_world *w, size_t i);
const char *mo_world_issuer(const struct mo_world *w, size_t i);

/* The URL of the i-th scenario "client_metadata_documents" entry on the
 * client metadata host (a CIMD client_id), NULL past the end. Borrowed. */
const char *mo_world_client_metadata_url(const struct mo_world *w, size_t i);

struct mo_header;
struct mo_reply;

/* Serve one request in-process (mocks/httpd.h mo_httpd_serve) on the
 * world's server whose origin starts `url` ("http://127.0.0.1:PORT/p?q"),
 * as if it had arrived on the wire: same handlers, rules and transcript,
 * no socket. *rep is the caller's (mo_reply_clear). A URL on no server of
 * the world fails with AC_ERR_INVALID. For fuzzing and tests. */
bool mo_world_serve(struct mo_world *w, const char *url, const char *method,
                    const struct mo_header *headers, size_t nheaders,
                    const char *body, size_t body_len, struct mo_reply *rep,
                    bool *dropped, struct ac_err *err);

/* Record an exchange the mocks did not serve themselves (the headless
 * browser's hops), in the transcript JSON shape of docs/TRANSCRIPT.md.
 * `exchange` is borrowed. Thread-safe. */
bool mo_world_record(struct mo_world *w, const json_t *exchange,
                     struct ac_err *err);

/* A snapshot of the transcript: a new JSON array of exchanges, ordered by
 * start time, NOT redacted (checks need the real values; redact before
 * writing anything out). */
json_t *mo_world_transcript(struct mo_world *w);

/* Every secret the mocks issued or received so far (codes, access and
 * refresh tokens, client secrets, verifiers): a new JSON array of strings.
 * Used to redact and to prove that no output file leaks one. */
json_t *mo_world_secrets(struct mo_world *w);

#endif
