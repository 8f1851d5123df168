/* A mock OAuth 2.1 authorization server (strict by default): RFC 8414 and
 * OpenID discovery metadata, RFC 7591 dynamic registration, the
 * authorization endpoint (PKCE S256, RFC 8707 resource, RFC 9207 iss), the
 * token endpoint (authorization_code, refresh_token with rotation) and
 * RFC 7009 revocation. One instance per scenario `authorization_servers[]`
 * entry, each on its own port. See docs/MOCKS.md. */
#ifndef MO_AS_H
#define MO_AS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

struct ac_err;

struct mo_as;
struct mo_shared;

struct mo_httpd;

/* Build an authorization server from its scenario object `conf`
 * (borrowed; what is needed is copied) and start it on 127.0.0.1:0. `sh`
 * is borrowed and must outlive the server. With `host` (borrowed, bound
 * but not yet serving; NULL otherwise) the AS has no server of its own:
 * its routes are added to `host` (recorded under the AS's id) and its
 * issuer is `host`'s origin + issuer_path, the 2025-03-26 topology where
 * the MCP server's origin is the authorization server; `host` must be
 * stopped before mo_as_free. On success *out is new (mo_as_free). */
bool mo_as_start(const json_t *conf, struct mo_shared *sh,
                 struct mo_httpd *host, struct mo_as **out, struct ac_err *err);

/* Borrowed strings valid until mo_as_free. */
const char *mo_as_id(const struct mo_as *as);
const char *mo_as_issuer(const struct mo_as *as);

/* State operations (docs/MOCKS.md "State operations"); the caller holds
 * mo_shared.lock. */

/* Forget what an in-memory AS loses when it restarts: dynamically
 * registered and CIMD-cached clients (pre-registered ones stay) and
 * authorization codes. */
void mo_as_forget_clients(struct mo_as *as);
void mo_as_forget_codes(struct mo_as *as);

/* Make every outstanding code / client secret expire at `now`. */
void mo_as_expire_codes(struct mo_as *as, int64_t now);
void mo_as_expire_secrets(struct mo_as *as, int64_t now);

/* Rotate the signing keys (JWT tokens only; a no-op otherwise). */
bool mo_as_rotate_keys(struct mo_as *as, struct ac_err *err);

/* Stop and free. NULL-safe. */
void mo_as_free(struct mo_as *as);

#endif
