/* The transcript recorder: a mutex-protected store of exchanges (JSON
 * objects in the shape of docs/TRANSCRIPT.md) kept ordered by `t_ns`, the
 * monotonic start time of each request, plus the set of secrets the mocks
 * issued or received. Thread-safe: every server thread and the harness
 * append concurrently. */
#ifndef MO_TRANSCRIPT_H
#define MO_TRANSCRIPT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

struct mo_transcript;

#define MO_TRANSCRIPT_SETTLE_MS 2000

/* A new empty transcript (mo_transcript_free). */
bool mo_transcript_new(struct mo_transcript **out, struct ac_err *err);

/* Keep at most `max` exchanges (0: unlimited, the default): past it the
 * oldest half is dropped, and the secrets set likewise past 4 * max. For
 * long-running worlds (authcheck serve). */
void mo_transcript_set_max(struct mo_transcript *t, size_t max);

/* Free the transcript and everything in it. NULL-safe. */
void mo_transcript_free(struct mo_transcript *t);

/* Append an exchange, taking ownership of `exchange` even on failure. It
 * must be an object; without an integer `t_ns` member one is added
 * (ac_mono_ns()). It is inserted after every entry with t_ns <= its own, so
 * equal times keep arrival order. */
bool mo_transcript_append_take(struct mo_transcript *t, json_t *exchange,
                               struct ac_err *err);

/* A server queued a response whose exchange will be appended when the
 * connection completes (mo_transcript_release then). Snapshots wait for
 * such exchanges, so a client that has read its answer always finds the
 * exchange in the transcript. */
void mo_transcript_hold(struct mo_transcript *t);
void mo_transcript_release(struct mo_transcript *t);

/* A snapshot: a new array of deep copies, ordered by t_ns, `seq`
 * renumbered from 0. It first waits (at most MO_TRANSCRIPT_SETTLE_MS) for
 * held exchanges. NULL when out of memory. */
json_t *mo_transcript_snapshot(struct mo_transcript *t);

/* Remember a secret (copied; NULL or "" ignored; duplicates kept once). */
bool mo_transcript_add_secret(struct mo_transcript *t, const char *secret);

/* Every secret so far, in first-seen order: a new array of strings. */
json_t *mo_transcript_secrets(struct mo_transcript *t);

#endif
