/* DPoP at the token endpoint (RFC 9449 §5, §8): check the proof of a
 * token request, answer use_dpop_nonce / invalid_dpop_proof, and hand the
 * proven key's thumbprint to the grant that binds its tokens. */
#include <stdlib.h>
#include <string.h>

#include "mocks/as_int.h"
#include "mocks/dpop.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

/* RFC 9449 §5.2: a client registered with dpop_bound_access_tokens must
 * always send a proof. */
static bool client_requires(const struct client *c)
{
    return json_is_true(
        json_object_get(c->metadata, "dpop_bound_access_tokens"));
}

bool mo_as_token_dpop(struct mo_as *as, const struct mo_req *req,
                      const struct client *c, struct mo_reply *rep, char **jkt,
                      bool *replied)
{
    char why[300] = "";

    *jkt = NULL;
    *replied = false;
    if (!as->dpop.on) {
        return true;
    }
    switch (mo_dpop_check(&as->dpop, req, NULL, false, mo_world_now(as->sh),
                          jkt, why, sizeof why)) {
    case MO_DPOP_OK:
        return true;
    case MO_DPOP_ABSENT:
        if (!as->dpop.required && !client_requires(c)) {
            return true;
        }
        *replied = true;
        return mo_as_token_error(
                   rep, "invalid_dpop_proof",
                   "a DPoP proof is required (RFC 9449 section 5)") &&
               mo_dpop_nonce_header(&as->dpop, rep);
    case MO_DPOP_INVALID:
        *replied = true;
        return mo_as_token_error(rep, "invalid_dpop_proof", why) &&
               mo_dpop_nonce_header(&as->dpop, rep);
    case MO_DPOP_USE_NONCE:
        /* RFC 9449 §8: 400 use_dpop_nonce with the nonce to use. */
        *replied = true;
        return mo_as_token_error(rep, "use_dpop_nonce",
                                 "the proof must carry the server nonce") &&
               mo_dpop_nonce_header(&as->dpop, rep);
    case MO_DPOP_ERROR:
        break;
    }
    return false;
}
