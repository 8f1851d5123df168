/* A mock OAuth 2.1 authorization server (strict by default): RFC 8414 and
 * OpenID discovery metadata, RFC 7591 dynamic registration, the
 * authorization endpoint (PKCE S256, RFC 8707 resource, RFC 9207 iss), the
 * token endpoint (authorization_code, refresh_token with rotation) and
 * RFC 7009 revocation. One instance per scenario `authorization_servers[]`
 * entry, each on its own port. See docs/MOCKS.md. */
#ifndef MO_AS_H
#define MO_AS_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

struct mo_as;
struct mo_shared;

/* Build an authorization server from its scenario object `conf`
 * (borrowed; what is needed is copied) and start it on 127.0.0.1:0. `sh`
 * is borrowed and must outlive the server. On success *out is new
 * (mo_as_free). */
bool mo_as_start(const json_t *conf, struct mo_shared *sh, struct mo_as **out,
                 struct ac_err *err);

/* Borrowed strings valid until mo_as_free. */
const char *mo_as_id(const struct mo_as *as);
const char *mo_as_issuer(const struct mo_as *as);

/* Stop and free. NULL-safe. */
void mo_as_free(struct mo_as *as);

#endif
