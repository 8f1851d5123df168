#!/usr/bin/env python3
"""Canned cases for the workload identity federation and enterprise-
managed authorization checks (harness/checks_wif.c, checks_ema.c): one
good flow of each and one case per violation. The JWTs carry a dummy
signature: checks read claims without verifying (the mocks verified).
Run from anywhere; values are fixed so the files are stable."""
import base64
import copy
import json
import sys
from urllib.parse import urlencode

sys.dont_write_bytecode = True
import make_transcripts as m  # noqa: E402
from make_transcripts import (AS, MCP, PRM_URL, RESOURCE, JSON_CT, FORM_CT,
                              ACCEPT, ex, rpc)  # noqa: E402

JB = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
IDP = "http://127.0.0.1:41009"
WL = "http://127.0.0.1:41008"
AT = "at-federated-7Hq2Lm9Xc4"
IAT = 1796360000
EXIT1 = [{"exit_code": 1, "signal": 0, "timed_out": False}]


def jwt(header, payload):
    def enc(d):
        return base64.urlsafe_b64encode(
            json.dumps(d, sort_keys=True).encode()).rstrip(b"=").decode()
    return enc(header) + "." + enc(payload) + ".c2lnbmF0dXJl"


def workload(aud=AS + "/token", jti="w-1"):
    return jwt({"alg": "ES256", "typ": "JWT"},
               {"iss": WL, "sub": "conformance-workload", "aud": aud,
                "iat": IAT, "exp": IAT + 300, "jti": jti})


ID_TOKEN = jwt({"alg": "ES256", "typ": "JWT"},
               {"iss": IDP, "sub": "demo-user@example.com",
                "aud": "conformance-test-idp-client", "iat": IAT,
                "exp": IAT + 3600})


def id_jag(aud=AS, ttl=300, jti="j-1"):
    return jwt({"alg": "ES256", "typ": "oauth-id-jag+jwt"},
               {"iss": IDP, "sub": "demo-user@example.com", "aud": aud,
                "resource": RESOURCE, "client_id": "conformance-test-xaa-client",
                "iat": IAT, "exp": IAT + ttl, "jti": jti})


def scenario(ext, expect="success"):
    sc = copy.deepcopy(m.SCENARIO)
    sc["client"]["expect"] = expect
    sc.update(ext)
    return sc


WIF_SC = {"workload_issuer": {"subject": "conformance-workload",
                              "assertion_ttl": 300, "trusted": True}}
EMA_SC = {"enterprise_idp": {"client_id": "conformance-test-idp-client"}}


def discovery():
    prm = {"resource": RESOURCE, "authorization_servers": [AS]}
    md = {"issuer": AS, "token_endpoint": AS + "/token",
          "grant_types_supported": [JB],
          "response_types_supported": ["code"]}
    return [
        ex("mcp", "mcp", "POST", MCP + "/mcp", [JSON_CT, ACCEPT],
           rpc(1, "initialize", {"protocolVersion": "2025-11-25"}), 401,
           [["WWW-Authenticate",
             'Bearer resource_metadata="%s"' % PRM_URL]], None),
        ex("mcp", "prm", "GET", PRM_URL, [], None, 200, [JSON_CT],
           json.dumps(prm)),
        ex("as", "metadata", "GET",
           AS + "/.well-known/oauth-authorization-server", [], None, 200,
           [JSON_CT], json.dumps(md)),
    ]


def token(form, status=200, body=None, server="as", url=AS + "/token",
          endpoint="token", headers=None):
    if body is None:
        body = {"access_token": AT, "token_type": "Bearer",
                "expires_in": 3600}
    return ex(server, endpoint, "POST", url, [FORM_CT] + (headers or []),
              urlencode(form), status, [JSON_CT], json.dumps(body))


def bearer_form(assertion, gt=JB):
    return {"grant_type": gt, "assertion": assertion, "resource": RESOURCE,
            "client_id": "conformance-wif-workload"}


def error(code, desc):
    return {"error": code, "error_description": desc}


def call():
    return [ex("mcp", "mcp", "POST", MCP + "/mcp",
               [JSON_CT, ACCEPT, ["Authorization", "Bearer " + AT]],
               rpc(2, "initialize", {"protocolVersion": "2025-11-25"}), 200,
               [JSON_CT], json.dumps({"jsonrpc": "2.0", "id": 2,
                                      "result": {}}))]


def user_grant():
    q = urlencode({"response_type": "code", "client_id": "x",
                   "redirect_uri": "http://127.0.0.1:5000/cb"})
    return [ex("browser", "authorize", "GET", AS + "/authorize?" + q, [],
               None, 302, [["Location", "http://127.0.0.1:5000/cb?code=c"]],
               None)]


def case(name, desc, t, ext, expect="success", runs=None):
    m.case(name, desc, t, scenario=scenario(ext, expect), runs=runs)


def wif_cases():
    good = discovery() + [token(bearer_form(workload()))] + call()
    case("wif-good", "Workload identity federation done right: one JWT "
         "bearer grant with a workload JWT for this AS's token endpoint.",
         good, WIF_SC)
    case("wif-wrong-grant", "The client-assertion type URN sent as "
         "grant_type.",
         discovery() + [token(bearer_form(workload(), gt="urn:ietf:params:"
                                          "oauth:client-assertion-type:"
                                          "jwt-bearer"), 400,
                              error("unsupported_grant_type", "x"))],
         WIF_SC, "success", EXIT1)
    case("wif-wrong-aud", "A workload JWT for another audience presented.",
         discovery() + [token(bearer_form(workload("https://wrong.example")),
                              400, error("invalid_grant", "aud"))],
         WIF_SC, "success", EXIT1)
    case("wif-expired", "A stale workload JWT presented again after the "
         "first access token expired.",
         discovery() + [token(bearer_form(workload()))] + call() +
         [token(bearer_form(workload()), 400,
                error("invalid_grant",
                      "assertion expired (RFC 7523 §3 item 4)"))],
         WIF_SC, "success", EXIT1)
    refused = discovery() + [token(bearer_form(workload()), 400,
                                   error("unauthorized_client", "no"))]
    case("wif-refused", "unauthorized_client; the client stops.", refused,
         WIF_SC, "refuse", EXIT1)
    case("wif-blind-retry", "unauthorized_client; the same assertion again.",
         refused + [token(bearer_form(workload()), 400,
                          error("unauthorized_client", "no"))],
         WIF_SC, "refuse", EXIT1)
    case("wif-fallback", "The JWT bearer grant refused; the client opens an "
         "authorization request instead.", refused + user_grant(), WIF_SC,
         "refuse", EXIT1)


def exchange_form(audience=AS, resource=RESOURCE):
    return {"grant_type": TE,
            "requested_token_type": "urn:ietf:params:oauth:token-type:id-jag",
            "audience": audience, "resource": resource,
            "subject_token": ID_TOKEN,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "client_id": "conformance-test-idp-client"}


def exchange(jag, form=None, status=200, body=None):
    if body is None:
        body = {"access_token": jag,
                "issued_token_type":
                "urn:ietf:params:oauth:token-type:id-jag",
                "token_type": "N_A", "expires_in": 300}
    return token(form or exchange_form(), status, body, server="idp",
                 url=IDP + "/token", endpoint="idp-token")


def jag_grant(jag, status=200, body=None):
    return token({"grant_type": JB, "assertion": jag, "resource": RESOURCE},
                 status, body, headers=[["Authorization",
                                         "Basic eGFhOnNlY3JldA=="]])


def ema_cases():
    good = discovery() + [exchange(id_jag()), jag_grant(id_jag())] + call()
    case("ema-good", "Enterprise-managed authorization done right: ID "
         "token for an ID-JAG at the IdP, the ID-JAG at the AS.", good,
         EMA_SC)
    case("ema-audience-resource", "The token exchange names the MCP "
         "resource as audience instead of the AS issuer.",
         discovery() + [exchange(None, exchange_form(audience=RESOURCE),
                                 400, error("invalid_target", "x"))],
         EMA_SC, "success", EXIT1)
    foreign = id_jag(aud="https://other-as.example")
    case("ema-foreign-jag", "An ID-JAG for another AS sent to this one.",
         discovery() + [exchange(foreign),
                        jag_grant(foreign, 400, error("invalid_grant", "aud"))],
         EMA_SC, "refuse", EXIT1)
    case("ema-foreign-jag-kept", "An ID-JAG for another AS; the client "
         "keeps it.", discovery() + [exchange(foreign)], EMA_SC, "refuse",
         EXIT1)
    expired = id_jag(ttl=-60)
    case("ema-expired-jag", "An ID-JAG born expired sent to the AS.",
         discovery() + [exchange(expired),
                        jag_grant(expired, 400,
                                  error("invalid_grant",
                                        "assertion expired"))],
         EMA_SC, "refuse", EXIT1)
    refused = discovery() + [exchange(None, None, 400,
                                      error("invalid_grant", "policy"))]
    case("ema-idp-refused", "The IdP refuses; the client stops.", refused,
         EMA_SC, "refuse", EXIT1)
    case("ema-idp-refused-fallback", "The IdP refuses; the client opens an "
         "authorization request.", refused + user_grant(), EMA_SC, "refuse",
         EXIT1)
    case("ema-idp-refused-again", "The IdP refuses; the client sends the "
         "same exchange again.",
         refused + [exchange(None, None, 400,
                             error("invalid_grant", "policy"))],
         EMA_SC, "refuse", EXIT1)


if __name__ == "__main__":
    wif_cases()
    ema_cases()
