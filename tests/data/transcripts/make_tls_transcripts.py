"""Canned cases for the transport security checks (harness/checks_tls.c):
an authorization server with a bad certificate refused (TLS connections
closed before any request, recorded as endpoint "tls") or accepted, a
plain-http token endpoint ignored or used, an https->http discovery
redirect ignored or followed. Called by make_transcripts.py."""
import copy
import json

import make_transcripts as m
from make_transcripts import (AS, MCP, PRM_URL, SCENARIO, CODE, VERIFIER,
                              CLIENT_ID, CB, FORM_CT, JSON_CT, ex, flow,
                              urlencode)

HTTPS_MCP = MCP.replace("http://", "https://")
HTTPS_AS = AS.replace("http://", "https://")
INSECURE = "http://0.0.0.0:41009"
EXIT1 = [{"exit_code": 1, "signal": 0, "timed_out": False}]


def https(t):
    """The same exchanges with the MCP server and the AS on https."""
    text = json.dumps(t).replace(MCP, HTTPS_MCP).replace(AS, HTTPS_AS)
    return json.loads(text)


def scenario(cert=None, rules=None):
    sc = copy.deepcopy(SCENARIO)
    sc["id"] = "tls/case"
    sc["tls"] = True
    sc["client"]["expect"] = "refuse"
    if cert is not None:
        sc["authorization_servers"][0]["tls_certificate"] = cert
    if rules is not None:
        sc["rules"] = rules
    return sc


def refusal(server="as", origin=HTTPS_AS):
    e = ex(server, "tls", "", origin + "/", [], None, 0, [], None)
    e["url"] = origin
    e["path"] = ""
    e["error"] = "TLS connection closed before any request"
    return e


def insecure_token():
    body = urlencode({"grant_type": "authorization_code", "code": CODE,
                      "code_verifier": VERIFIER, "client_id": CLIENT_ID,
                      "redirect_uri": CB})
    e = ex("insecure", "unknown", "POST", INSECURE + "/token",
           [FORM_CT, ["Host", "0.0.0.0:41009"]], body, 404, [], None)
    return e


def main():
    t = https(flow())
    for kind in ("wrong-name", "expired", "untrusted-ca"):
        m.case("tls-%s-refused" % kind, "The AS serves a %s certificate; the "
               "client refuses it: two TLS connections closed before any "
               "request." % kind, t[:2] + [refusal(), refusal()],
               scenario=scenario(kind), runs=EXIT1)
        m.case("tls-%s-accepted" % kind, "The AS serves a %s certificate; the "
               "client skips verification and goes on." % kind, t,
               scenario=scenario(kind))
    m.case("tls-as-never-reached", "The AS serves a bad certificate; the "
           "client stops after the PRM and never connects to it.", t[:2],
           scenario=scenario("expired"), runs=EXIT1)

    meta = t[2]
    doc = json.loads(meta["response"]["body"])
    doc["token_endpoint"] = INSECURE + "/token"
    meta["response"]["body"] = json.dumps(doc)
    rules = [{"match": {"endpoint": "metadata"},
              "do": {"patch": {"set": {"token_endpoint":
                                       "${insecure_origin}/token"}}}}]
    m.case("tls-http-endpoint-ignored", "The metadata names a plain-http "
           "token endpoint on 0.0.0.0; the client refuses after the "
           "metadata.", t[:3], scenario=scenario(rules=rules), runs=EXIT1)
    m.case("tls-http-endpoint-used", "The metadata names a plain-http token "
           "endpoint on 0.0.0.0; the client posts the code and verifier "
           "there.", t[:6] + [insecure_token()], scenario=scenario(
               rules=rules), runs=EXIT1)

    redirect = copy.deepcopy(t[1])
    redirect["response"] = {"status": 302, "headers": [
        ["Location", INSECURE + "/.well-known/oauth-protected-resource/mcp"]],
        "body": None}
    followed = ex("insecure", "unknown", "GET", INSECURE +
                  "/.well-known/oauth-protected-resource/mcp",
                  [["Host", "0.0.0.0:41009"]], None, 404, [], None)
    rules = [{"match": {"endpoint": "prm"}, "do": {"respond": {
        "status": 302, "headers": {"Location": "${insecure_origin}/x"}}}}]
    m.case("tls-downgrade-ignored", "The PRM redirects from https to plain "
           "http; the client does not follow.", [t[0], redirect],
           scenario=scenario(rules=rules), runs=EXIT1)
    m.case("tls-downgrade-followed", "The PRM redirects from https to plain "
           "http; the client follows it.", [t[0], redirect, followed],
           scenario=scenario(rules=rules), runs=EXIT1)


if __name__ == "__main__":
    main()
