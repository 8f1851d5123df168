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

/* Stop all servers and free the world. NULL-safe. */
void mo_world_stop(struct mo_world *w);

/* Borrowed URLs, valid until mo_world_stop. */
const char *mo_world_mcp_url(const struct mo_world *w);     /* MCP endpoint */
const char *mo_world_control_url(const struct mo_world *w); /* control API */
/* The MCP server's canonical resource URI (RFC 8707; what `resource` must
 * equal) and the URL of its Protected Resource Metadata (RFC 9728). */
const char *mo_world_resource(const struct mo_world *w);
const char *mo_world_prm_url(const struct mo_world *w);
size_t mo_world_as_count(const struct mo_world *w);
const char *mo_world_as_id(const struct mo_world *w, size_t i);
const char *mo_world_issuer(const struct mo_world *w, size_t i);

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
